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
set title "offsim: tasks/s against population (medians, bars: min-max)"
# machine load about 6 (5 runs each) and ~15-20 (3 runs each)
$q << EOD
1000    1709.498 1516.229 1931.945
10000   1046.539 1006.887 1172.065
100000  570.162  490.334  606.124
1000000 291.430  258.564  297.656
EOD
$d << EOD
1000    504.389 426.691 542.527
10000   205.289 140.489 238.476
100000  90.670  66.672  94.456
1000000 92.428  73.253  98.565
EOD
plot $q using 1:2:3:4 with yerrorlines lw 2 pt 7 title "load average about 6, median of 5", \
     $d using 1:2:3:4 with yerrorlines lw 2 pt 5 title "load average 15-20, median of 3", \
     1709.498/2 with lines dt 2 lc rgb "gray" title "half the load-6 rate at 10^3 (the 2x target)"
