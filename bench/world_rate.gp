# Tasks simulated per CPU second against the number of devices on the
# shared cell (bench_world rate; bench/RESULTS.md, "Large populations",
# "Every device's first arrival in one batch").
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
set title "offsim: cost per task against population (medians of 5, bars: min-max)"
# 2026-12-06 evening, alternated runs at load average 3.6-4.0 (bench_world
# rate 1000 10000 100000 1000000 5x): before = main at 4bb56b7, after =
# the first arrivals batched (sorted run beside the heap, records fetched
# eight arrivals ahead, no logarithm for arrivals past the end)
$b1 << EOD
1000    2915.821 2060.830 2933.507
10000   2145.388 2005.172 2284.349
100000  1541.837 1205.152 1577.827
1000000 801.962  765.672  879.560
EOD
$a1 << EOD
1000    2916.702 1407.313 2942.375
10000   2251.288 1993.183 2265.304
100000  1718.497 1385.830 1730.317
1000000 1239.672 1082.626 1333.810
EOD
$b2 << EOD
1000    2738.872 1318.877 2952.199
10000   2246.509 2056.438 2287.589
100000  1450.989 1204.371 1543.016
1000000 791.275  770.573  841.493
EOD
$a2 << EOD
1000    2902.051 1615.180 2929.168
10000   2077.326 1967.077 2240.487
100000  1434.831 1172.029 1479.756
1000000 1261.529 1108.154 1286.576
EOD
plot $a1 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb "#009e73" title "after, first alternation", \
     $a2 using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 6 lc rgb "#009e73" title "after, second alternation", \
     $b1 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc rgb "#9400d3" title "before, first alternation", \
     $b2 using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 4 lc rgb "#9400d3" title "before, second alternation", \
     2916.702/2 with lines dt 4 lw 2 lc rgb "#606060" title "half the first 'after' rate at 10^3 (the 2x target)"
