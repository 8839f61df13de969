# Tasks simulated per CPU second against the number of devices on the
# shared cell, relative to the same invocation's rate at 10^3 devices
# (bench_world rate; bench/RESULTS.md, "Large populations" and "First
# arrivals without the records").  Relative, because the VM's speed
# drifts by up to a third between invocations (its neighbours), and the
# target is about the curve's flatness: 0.5 is 10^3 / 10^6 = 2x.
# gnuplot bench/world_rate.gp
set terminal pngcairo size 900,560 font ",11"
set output "docs/img/tasks-per-second-devices.png"
set logscale x
set xlabel "devices on one shared cell (the same 232,000 tasks in 400 s, load 0.5 of the cell)"
set xrange [700:1400000]
set format x "10^{%T}"
set ylabel "tasks per CPU second (user + system), relative to 10^3 devices"
set yrange [0:1.1]
set ytics 0.1
set grid
set key bottom left
set title "offsim: cost per task against population (each line: one invocation, medians of 5-7 runs)"
# bench_world rate 1000 10000 100000 1000000 Nx, per CPU second, medians
# (thousands).  4bb56b7: before the large-population work (5 runs);
# 8f18ac3: the 496-byte record and batched first arrivals; main: first
# arrivals drawn from the arrival-stream array, 448-byte line-aligned
# record; `shadowed`: every uplink its own channel state (7 runs).
$old << EOD
1000    2932.579
10000   2097.384
100000  1256.326
1000000 801.358
EOD
$s1 << EOD
1000    2826.870
10000   2177.362
100000  1729.608
1000000 1511.333
EOD
$s2 << EOD
1000    2867.175
10000   2239.573
100000  1840.056
1000000 1534.513
EOD
$m1 << EOD
1000    2782.058
10000   2206.098
100000  1791.986
1000000 1647.748
EOD
$m2 << EOD
1000    1904.692
10000   1453.830
100000  1154.385
1000000 1035.802
EOD
$m3 << EOD
1000    2861.402
10000   2234.151
100000  1778.235
1000000 1838.811
EOD
$m4 << EOD
1000    2781.123
10000   2206.815
100000  1844.002
1000000 1904.018
EOD
$h1 << EOD
1000    2876.717
10000   2144.929
100000  1565.529
1000000 1365.463
EOD
$h2 << EOD
1000    1995.624
10000   1344.248
100000  1001.134
1000000 822.525
EOD
$h3 << EOD
1000    1892.246
10000   1409.865
100000  1005.465
1000000 897.937
EOD
$hs << EOD
1000    2895.268
10000   2168.051
100000  1512.619
1000000 1280.387
EOD
g = "#009e73"; o = "#9400d3"; p = "#0072b2"; y = "#e69f00"
plot $m1 using 1:($2/2782.058) with linespoints lw 2 pt 7 lc rgb g title "main (4 invocations; one in a slow spell of the VM, 1.90 M tasks/s at 10^3)", \
     $m2 using 1:($2/1904.692) with linespoints lw 2 pt 7 lc rgb g notitle, \
     $m3 using 1:($2/2861.402) with linespoints lw 2 pt 7 lc rgb g notitle, \
     $m4 using 1:($2/2781.123) with linespoints lw 2 pt 7 lc rgb g notitle, \
     $s1 using 1:($2/2826.870) with linespoints lw 2 pt 5 lc rgb p title "8f18ac3 (2 invocations, alternated with main's first)", \
     $s2 using 1:($2/2867.175) with linespoints lw 2 pt 5 lc rgb p notitle, \
     $old using 1:($2/2932.579) with linespoints lw 2 pt 9 lc rgb o title "4bb56b7, before the large-population work (1 invocation)", \
     $h1 using 1:($2/2876.717) with linespoints lw 2 dt 2 pt 6 lc rgb y title "main, shadowed: every uplink its own channel state (3 invocations)", \
     $h2 using 1:($2/1995.624) with linespoints lw 2 dt 2 pt 6 lc rgb y notitle, \
     $h3 using 1:($2/1892.246) with linespoints lw 2 dt 2 pt 6 lc rgb y notitle, \
     $hs using 1:($2/2895.268) with linespoints lw 2 dt 2 pt 4 lc rgb p title "8f18ac3, shadowed (1 invocation)", \
     0.5 with lines dt 4 lw 2 lc rgb "#606060" title "the 2x target: half the rate at 10^3"
