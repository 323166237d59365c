// Package seedproc starts a `shoal seed` process for the benchmark
// programs under bench/ and finds the address it listens on.
package seedproc

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"time"
)

var (
	listening = regexp.MustCompile(`Listening on (\S+);`)
	seeding   = regexp.MustCompile(` seeding `)
)

// Start starts cmd, a `shoal seed ... --no-tui`, and returns the address
// from its "Listening on" line once a later line says it is seeding. Its
// stderr goes to ours; its stdout is drained until it exits, so it never
// blocks on a full pipe.
func Start(cmd *exec.Cmd) (string, error) {
	r, w := io.Pipe()
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		var addr string
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr = m[1]
			}
			if addr != "" && seeding.MatchString(sc.Text()) {
				found <- addr
				break
			}
		}
		io.Copy(io.Discard, r)
	}()
	select {
	case s := <-found:
		return s, nil
	case <-time.After(2 * time.Minute):
		return "", errors.New("seed did not start within 2 minutes")
	}
}
