//go:build race

package main

// peakLimitMiB is what TestExecLongLineCLI allows under the race detector, whose shadow memory
// grows with the heap.
const peakLimitMiB = 480
