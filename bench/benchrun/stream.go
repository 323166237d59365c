//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// streamTTFB times 'shoal stream' reading the middle of a sizeMiB file
// from one seed capped at capMiB MiB/s: from the start of the command to
// its URL, and from the range request to its first byte and first MiB.
// Each run starts a fresh leecher, so nothing of the file is there yet.
// Then, 3 s into the download (peers' queues full), a seek to three
// quarters of the file: the time to its first byte.
func (b *bench) streamTTFB(sizeMiB, capMiB int64, runs int) {
	dir := filepath.Join(b.dir, "stream")
	movie := filepath.Join(dir, "data", "movie.bin")
	check(os.MkdirAll(filepath.Dir(movie), 0o755))
	f, err := os.Create(movie)
	check(err)
	_, err = io.CopyN(f, rand.NewChaCha8([32]byte{'m', 'o', 'v', 'i', 'e'}), sizeMiB<<20)
	check(err)
	check(f.Close())
	torrent := filepath.Join(dir, "movie.torrent")
	b.runToEnd("create", "create", movie, "-o", torrent, "--force")
	seed := exec.Command(b.shoal, "seed", torrent, "--data", filepath.Dir(movie), "--listen", "127.0.0.1:0", "--no-tui", "--no-dht",
		"--up-limit", fmt.Sprintf("%dMiB", capMiB), "--state-dir", filepath.Join(dir, "seed-state"))
	addr := startSeed(seed)
	defer func() {
		seed.Process.Signal(os.Interrupt)
		seed.Wait()
	}()
	var toURL, toByte, toMiB, toSeek []time.Duration
	for run := range runs {
		u, b1, m1, s1, err := b.streamOnce(torrent, addr, filepath.Join(dir, fmt.Sprintf("leech%d", run)), sizeMiB)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchrun: stream run %d: %v\n", run, err)
			return
		}
		toURL, toByte, toMiB, toSeek = append(toURL, u), append(toByte, b1), append(toMiB, m1), append(toSeek, s1)
	}
	fmt.Printf("%-22s first byte %s, first MiB %s after the range request (URL printed %s after start); "+
		"a seek 3 s into the download: first byte %s; the whole file takes %.0f s at the cap  %s\n", "stream, middle:",
		median(toByte), median(toMiB), median(toURL), median(toSeek), float64(sizeMiB)/float64(capMiB), b.tag(0))
	fmt.Printf("%-22s %d MiB file, one seed capped at %d MiB/s, range from the middle; medians of %d runs, each a fresh leecher\n",
		"", sizeMiB, capMiB, runs)
}

// streamOnce runs one 'shoal stream' and one range request from the
// middle of the file.
func (b *bench) streamOnce(torrent, seed, dir string, sizeMiB int64) (toURL, toByte, toMiB, toSeek time.Duration, err error) {
	start := time.Now()
	cmd := exec.Command(b.shoal, "stream", torrent, "-o", dir, "--peer", seed, "--listen", "127.0.0.1:0", "--no-dht",
		"--http", "127.0.0.1:0", "--state-dir", dir+"-state")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.RemoveAll(dir)
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "http://") {
				urls <- sc.Text()
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	var u string
	select {
	case u = <-urls:
	case <-time.After(2 * time.Minute):
		return 0, 0, 0, 0, fmt.Errorf("no URL within 2 minutes")
	}
	toURL = time.Since(start)
	if toByte, toMiB, err = readRange(u, sizeMiB<<19); err != nil {
		return 0, 0, 0, 0, err
	}
	time.Sleep(max(0, 3*time.Second-time.Since(start)))
	if toSeek, _, err = readRange(u, sizeMiB<<18*3); err != nil {
		return 0, 0, 0, 0, err
	}
	return toURL, toByte, toMiB, toSeek, nil
}

// readRange reads the first MiB of u from offset from, and says how long
// its first byte and that MiB took.
func readRange(u string, from int64) (toByte, toMiB time.Duration, err error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", from))
	sent := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return 0, 0, fmt.Errorf("status %s", resp.Status)
	}
	buf := make([]byte, 64<<10)
	got := 0
	for got < 1<<20 {
		n, err := resp.Body.Read(buf)
		if got == 0 && n > 0 {
			toByte = time.Since(sent)
		}
		got += n
		if err != nil {
			return 0, 0, fmt.Errorf("after %d bytes: %w", got, err)
		}
	}
	return toByte, time.Since(sent), nil
}

func median(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond).String()
}
