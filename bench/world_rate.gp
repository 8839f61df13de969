# Tasks simulated per CPU second against the number of devices on the
# shared cell (bench_world rate; bench/RESULTS.md, "Large populations").
# gnuplot bench/world_rate.gp
set terminal pngcairo size 860,540 font ",11"
set output "docs/img/tasks-per-second-devices.png"
set logscale x
set xlabel "devices on one shared cell (the same 232,000 tasks in 400 s, load 0.5 of the cell)"
set xrange [500:2000000]
set format x "10^{%T}"
set ylabel "tasks simulated per CPU second, user + system (thousands)"
set yrange [0:2400]
set grid
set key top right
set title "offsim: cost per task against population (medians of 3, bars: min-max)"
# 2026-12-06 afternoon, alternated runs at load average 18-20: before =
# commit 419c245, after = the arriving device's record prefetched
$b2 << EOD
1000    2060.005 2017.874 2112.355
10000   1137.236 1093.024 1209.973
100000  710.716  670.086  727.212
1000000 441.624  431.170  449.238
EOD
$a2 << EOD
1000    2093.949 1936.730 2175.230
10000   1613.667 1533.677 1866.973
100000  1013.850 914.549  1056.220
1000000 667.480  613.933  681.521
EOD
$b3 << EOD
1000    1856.281 1666.777 1971.088
10000   1044.173 1043.606 1118.310
100000  633.051  619.699  734.251
1000000 401.786  318.332  417.442
EOD
$a3 << EOD
1000    1729.737 1488.974 1910.347
10000   1361.255 1068.798 1746.317
100000  811.271  779.598  854.207
1000000 565.022  427.752  622.244
EOD
plot $a2 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb "#009e73" title "after, first alternation", \
     $a3 using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 6 lc rgb "#009e73" title "after, second alternation", \
     $b2 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc rgb "#9400d3" title "before, first alternation", \
     $b3 using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 4 lc rgb "#9400d3" title "before, second alternation", \
     2093.949/2 with lines dt 4 lw 2 lc rgb "#606060" title "half the first 'after' rate at 10^3 (the 2x target)"
