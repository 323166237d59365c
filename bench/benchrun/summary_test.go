//go:build linux

package main

import "testing"

func TestSummarize(t *testing.T) {
	got := summarize([]figure{{500, 2.3}, {420, 2.5}, {560, 2.1}, {540, 2.2}})
	want := "slowest 420.0 MiB/s, median 520.0, fastest 560.0; leecher CPU most 2.50 s/GiB, median 2.25, least 2.10"
	if got != want {
		t.Errorf("summarize =\n%s\nwant\n%s", got, want)
	}
	if got := summarize([]figure{{300, 3}}); got != "slowest 300.0 MiB/s, median 300.0, fastest 300.0; leecher CPU most 3.00 s/GiB, median 3.00, least 3.00" {
		t.Errorf("one run: %s", got)
	}
}
