# offsim - the README's commands.  CMake does the real build in build/.
#   make run    set up, build, run the quickstart scenario, write a database and a plot
#   make test   set up, build, run the whole cmocka suite through ctest
#   make build  set up and build only
#   make deps   install the missing Debian packages (what "set up" does)
#   make bench  build and run the benchmarks
#   make asan   build in build-asan/ with ASan/UBSan and run the suite there
#   make caches build the complete inference caches of the trained zoo models
# Set-up checks what is installed first and does nothing when all is there;
# OFFSIM_NO_SETUP=1 skips it (tools/setup.sh says what it does otherwise).
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=

.PHONY: all deps setup build run test bench asan caches clean
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

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do echo "== $$b"; $$b || exit 1; done

# Every record of every trained zoo model beside its weights
# (models/zoo/*.offc, not in git), on every core: later runs only look up.
caches: build
	./$(BUILD)/offsim models cache

asan: setup
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFFSIM_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-asan
