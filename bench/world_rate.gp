# Tasks simulated per second against the number of devices on the shared
# cell (bench_world rate; bench/RESULTS.md).  gnuplot bench/world_rate.gp
set terminal pngcairo size 800,500 font ",11"
set output "docs/img/tasks-per-second-devices.png"
set logscale x
set xlabel "devices on one shared cell (the same 232,000 tasks, rho 0.5)"
set xrange [500:2000000]
set format x "10^{%T}"
set ylabel "tasks simulated per second (thousands)"
set yrange [0:*]
set grid
set key top right
set title "offsim: per-task cost against population (median of 3, bars: min-max)"
$d << EOD
1000    504.389 426.691 542.527
10000   205.289 140.489 238.476
100000  90.670  66.672  94.456
1000000 92.428  73.253  98.565
EOD
plot $d using 1:2:3:4 with yerrorlines lw 2 pt 7 title "philox streams, compact devices", \
     504.389/2 with lines dt 2 lc rgb "gray" title "half the rate at 10^3 (the 2x target)"
