# Tasks simulated per CPU second against the number of devices on the
# shared cell (bench_world rate; bench/RESULTS.md, "Large populations",
# "Both merged: the curve on main").
# gnuplot bench/world_rate.gp
set terminal pngcairo size 860,540 font ",11"
set output "docs/img/tasks-per-second-devices.png"
set logscale x
set xlabel "devices on one shared cell (the same 232,000 tasks in 400 s, load 0.5 of the cell)"
set xrange [500:2000000]
set format x "10^{%T}"
set ylabel "tasks simulated per CPU second, user + system (thousands)"
set yrange [0:3300]
set grid
set key bottom left
set title "offsim: cost per task against population (medians of 5 runs, bars: min-max)"
# The data of bench/RESULTS.md's table (load average ~1), both binaries
# with the heap kept between runs (bench_world's mallopt): before = main at 4bb56b7,
# main = the 496-byte record (shared channel blocks, huge pages) and the
# batched first arrivals; alternated B M B M, then main with `shadowed`
# (every uplink its own channel state). bench_world rate 1000 10000 100000
# 1000000 5x: per CPU second, median, min, max (thousands)
$b1 << EOD
1000    2932.579 1368.013 2951.823
10000   2097.384 1926.807 2177.136
100000  1256.326 1041.462 1285.405
1000000 801.358  696.097  827.139
EOD
$m1 << EOD
1000    2926.503 1297.914 2949.831
10000   2296.699 2003.396 2307.011
100000  1679.588 1653.172 1767.985
1000000 1393.674 1236.252 1418.735
EOD
$b2 << EOD
1000    2919.128 1251.895 2963.036
10000   2201.382 1941.221 2220.324
100000  1287.779 1088.942 1338.751
1000000 780.019  706.006  836.306
EOD
$m2 << EOD
1000    2920.416 1300.873 2945.967
10000   2269.695 2027.358 2290.723
100000  1738.180 1687.253 1772.506
1000000 1410.425 1227.725 1444.238
EOD
$s1 << EOD
1000    2877.396 1274.332 2923.364
10000   2129.485 1931.243 2170.846
100000  1426.720 1357.259 1476.557
1000000 1233.336 1130.834 1247.340
EOD
plot $m1 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb "#009e73" title "main, 1st alternation", \
     $m2 using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 6 lc rgb "#009e73" title "main, 2nd alternation", \
     $s1 using 1:2:3:4 with yerrorlines lw 2 pt 9 lc rgb "#e69f00" title "main, every uplink its own channel state (shadowed)", \
     $b1 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc rgb "#9400d3" title "before (4bb56b7), 1st alternation", \
     $b2 using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 4 lc rgb "#9400d3" title "before (4bb56b7), 2nd alternation", \
     2926.503/2 with lines dt 4 lw 2 lc rgb "#606060" title "half of main's rate at 10^3 (the 2x target)"
