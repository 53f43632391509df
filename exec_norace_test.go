//go:build !race

package main

// peakLimitMiB is what TestExecLongLineCLI allows: the process itself (about 40 MiB) and the
// 64 MiB of the longest line, with room for the collector.
const peakLimitMiB = 160
