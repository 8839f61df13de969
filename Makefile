# offsim - the README's commands.  CMake does the real build in build/.
#   make run    set up, build, run the quickstart scenario, write a database and a plot
#   make test   set up, build, run the whole cmocka suite through ctest
#   make build  set up and build only
#   make deps   install the missing Debian packages (what "set up" does)
#   make bench  build and run the benchmarks
#   make asan   build in build-asan/ with ASan/UBSan and run the suite there
#   make fuzz   build the libFuzzer harnesses with clang in build-fuzz/ and run
#               each on a fixed number of inputs (tests/fuzz/ci-runs), or for
#               FUZZ_SECONDS each (CONTRIBUTING.md, "Fuzzing"); `make test` runs
#               it too under CI=true or OFFSIM_CI_FUZZ=1
#   make papers every paper experiment of scenarios/papers/ at full size: runs,
#               figures and claims into results/NAME.db and results/NAME-figures/
#               (PAPERS="edgent dyno" for some; docs/papers.md)
#   make caches build the complete inference caches of the trained zoo models
# Set-up checks what is installed first and does nothing when all is there;
# OFFSIM_NO_SETUP=1 skips it (tools/setup.sh says what it does otherwise).
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=

.PHONY: all deps setup build run test bench asan fuzz papers caches clean
all: build

deps:
	@sh tools/setup.sh

setup:
ifneq ($(OFFSIM_NO_SETUP),1)
	@sh tools/setup.sh
endif

build: setup
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The quickstart scenario three times on the same tasks (common random
# numbers): its own policy (the image sent in 4 bits), then all-local and
# the int8 image sent.
QS_DB = results/quickstart.db
run: build
	@rm -f $(QS_DB) $(QS_DB)-wal $(QS_DB)-shm
	./$(BUILD)/offsim run scenarios/examples/quickstart.yaml --db $(QS_DB)
	./$(BUILD)/offsim run scenarios/examples/quickstart.yaml --db $(QS_DB) --set policy=local --quiet
	./$(BUILD)/offsim run scenarios/examples/quickstart.yaml --db $(QS_DB) --set policy=edge --quiet
	./$(BUILD)/offsim report $(QS_DB)
	./$(BUILD)/offsim plot $(QS_DB) --out results/quickstart-latency.png

# Under CI (CI=true, or OFFSIM_CI_FUZZ=1 anywhere) the suite includes the
# fuzz step: each harness on its fixed number of inputs with a fixed seed, so
# that the same commit always tries the same inputs and passes or fails alike.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)
ifneq ($(filter 1,$(OFFSIM_CI_FUZZ))$(filter true,$(CI)),)
	$(MAKE) fuzz FUZZ_SECONDS=0
endif

bench: build
	@for b in $(BUILD)/bench/bench_*; do echo "== $$b"; $$b || exit 1; done

# Each paper from scratch (its database removed, so that the time is the
# whole experiment's); one whose claims fail does not stop the others, and
# makes the target fail at the end.  A folder with a train.sh trains first.
PAPERS ?= neurosurgeon edgent branchynet dyno sac-coinference
papers: build
	@failed=""; for p in $(PAPERS); do \
	  echo "== $$p"; t0=$$(date +%s); \
	  rm -rf results/$$p.db results/$$p.db-wal results/$$p.db-shm results/$$p-figures; \
	  if [ -f scenarios/papers/$$p/train.sh ]; then \
	    sh scenarios/papers/$$p/train.sh ./$(BUILD)/offsim || { failed="$$failed $$p"; continue; }; \
	  fi; \
	  ./$(BUILD)/offsim sweep scenarios/papers/$$p/experiment.yaml --jobs $(JOBS) \
	      --db results/$$p.db || failed="$$failed $$p"; \
	  echo "== $$p: $$(( $$(date +%s) - t0 )) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "papers with a failed claim or run:$$failed"; exit 1; fi

# Every record of every trained zoo model beside its weights
# (models/zoo/*.offc, not in git), on every core: later runs only look up.
caches: build
	./$(BUILD)/offsim models cache

asan: setup
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFFSIM_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# The fuzz build needs clang and its libFuzzer runtime, which only this
# target installs (tools/setup.sh --fuzz), so `make run` stays light.
# Without them it is skipped (status 77) outside CI, and fails under CI=true.
# FUZZ_SECONDS=0 (the default) runs each harness on the fixed number of
# inputs of tests/fuzz/ci-runs; FUZZ_SECONDS=N runs each N seconds instead;
# FUZZ_SEED (default 1) chooses the inputs.
FUZZ_SECONDS ?= 0
fuzz: setup
ifneq ($(OFFSIM_NO_SETUP),1)
	@sh tools/setup.sh --fuzz || [ "$(CI)" != true ]
endif
	@command -v clang >/dev/null 2>&1 || { \
		echo "make fuzz: skipped: no clang (Debian packages clang libclang-rt-dev)" >&2; \
		[ "$(CI)" = true ] && exit 1; exit 77; }
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFFSIM_FUZZ=ON \
		-DOFFSIM_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_FLAGS) >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_harnesses
	cd build-fuzz && ctest --output-on-failure -j $(JOBS) -L fuzz

clean:
	rm -rf $(BUILD) build-asan build-fuzz
