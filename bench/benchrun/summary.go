//go:build linux

package main

import (
	"fmt"
	"slices"
)

// figure is one download's: its rate (start to verified exit) and the
// leecher's CPU seconds per GiB.
type figure struct{ mibs, cpu float64 }

// summarize gives what issue 17's goals are judged by, the slowest run
// and the most CPU, next to the medians.
func summarize(fs []figure) string {
	rates := make([]float64, len(fs))
	cpus := make([]float64, len(fs))
	for i, f := range fs {
		rates[i], cpus[i] = f.mibs, f.cpu
	}
	slices.Sort(rates)
	slices.Sort(cpus)
	return fmt.Sprintf("slowest %.1f MiB/s, median %.1f, fastest %.1f; leecher CPU most %.2f s/GiB, median %.2f, least %.2f",
		rates[0], middle(rates), rates[len(rates)-1], cpus[len(cpus)-1], middle(cpus), cpus[0])
}

// middle is the median of sorted values.
func middle(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
