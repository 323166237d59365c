// Command daemonscale measures one `shoal daemon` holding many small
// torrents: how long it takes to be ready after a restart, its RSS, its CPU
// while idle, and how long `shoal ls` and a Transmission torrent-get of all
// of them take. 'make bench' runs it (bench/daemon.sh); it prints figures
// and asserts nothing.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/pieces"
)

func main() {
	shoal := flag.String("shoal", "bin/shoal", "the shoal binary")
	n := flag.Int("torrents", 10000, "how many small torrents")
	work := flag.String("dir", "", "work directory (default: a temporary one, removed after)")
	flag.Parse()
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "shoal-dscale-*")
		check(err)
		defer os.RemoveAll(d)
		dir = d
	}
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "xdg-state"))
	state, dl := filepath.Join(dir, "state"), filepath.Join(dir, "dl")
	t0 := time.Now()
	check(generate(state, dl, *n))
	fmt.Printf("%d torrents of one 2-6 KiB file each, generated in %.1fs\n", *n, time.Since(t0).Seconds())

	sock := filepath.Join(dir, "d.sock")
	args := []string{"daemon", "--listen", "127.0.0.1:0", "--no-dht", "--state-dir", state, "--socket", sock,
		"--download-dir", dl, "--rpc", "127.0.0.1:0", "--log-file", filepath.Join(dir, "log")}

	// The first start checks every file (there is no resume state yet) and
	// writes resume records on the way out; the restart is what a user
	// meets every day.
	d, ready, _ := start(*shoal, args)
	fmt.Printf("first start (checks every file): ready in %.2fs\n", ready.Seconds())
	waitSeeding(*shoal, sock, *n)
	stop(d)

	d, ready, url := start(*shoal, args)
	defer stop(d)
	fmt.Printf("restart (resume state, no hashing): ready in %.2fs\n", ready.Seconds())
	waitSeeding(*shoal, sock, *n)
	time.Sleep(5 * time.Second) // let start-up work settle
	cpu0, at0 := cpuSeconds(d.Process.Pid), time.Now()
	time.Sleep(10 * time.Second)
	cpu1, at1 := cpuSeconds(d.Process.Pid), time.Now()
	fmt.Printf("idle: %.2f%% of a core over %.0fs; RSS %d MiB\n", 100*(cpu1-cpu0)/at1.Sub(at0).Seconds(),
		at1.Sub(at0).Seconds(), rssKiB(d.Process.Pid)>>10)

	lsTimes := timeN(5, func() {
		out, err := exec.Command(*shoal, "ls", "--socket", sock).Output()
		check(err)
		if c := bytes.Count(out, []byte("\n")); c != *n+1 {
			panic(fmt.Sprintf("ls printed %d lines", c))
		}
	})
	fmt.Printf("shoal ls of %d torrents (a new process each time): median %.0f ms, max %.0f ms\n", *n, ms(median(lsTimes)), ms(slices.Max(lsTimes)))
	tgTimes := timeN(5, func() { torrentGet(url, *n) })
	fmt.Printf("torrent-get of %d torrents (id,name,status,percentDone,rateDownload,rateUpload,eta): median %.0f ms, max %.0f ms\n",
		*n, ms(median(tgTimes)), ms(slices.Max(tgTimes)))
}

// generate writes n tiny folders under dl, their .torrents under state,
// and a library.json naming them all, as n adds would have.
func generate(state, dl string, n int) error {
	var es []daemon.Entry
	now := time.Now().UTC()
	for i := range n {
		name := fmt.Sprintf("t%05d", i)
		data := filepath.Join(dl, name)
		if err := os.MkdirAll(data, 0o755); err != nil {
			return err
		}
		b := bytes.Repeat([]byte(name), 512+i%1024) // 2.5-7.5 KiB, each torrent its own
		if err := os.WriteFile(filepath.Join(data, "f.bin"), b, 0o644); err != nil {
			return err
		}
		t, err := pieces.Create(context.Background(), data, pieces.CreateOptions{PieceLength: 16 << 10, Workers: 1})
		if err != nil {
			return err
		}
		path := daemon.TorrentPath(state, t.InfoHash)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, t.Bytes(), 0o644); err != nil {
			return err
		}
		es = append(es, daemon.Entry{InfoHash: hex.EncodeToString(t.InfoHash[:]), Torrent: path, Dir: dl, Added: now})
	}
	b, err := json.Marshal(es)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(state, "library.json"), b, 0o644)
}

var readyRE = regexp.MustCompile(`ready: .* HTTP control on (http://\S+/)`)

func start(shoal string, args []string) (*exec.Cmd, time.Duration, string) {
	cmd := exec.Command(shoal, args...)
	out, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	check(cmd.Start())
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := readyRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return cmd, time.Since(t0), m[1]
		}
	}
	panic("daemon exited before it was ready")
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

// waitSeeding waits until ls shows every torrent seeding.
func waitSeeding(shoal, sock string, n int) {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := exec.Command(shoal, "ls", "--socket", sock, "--json").Output()
		check(err)
		var rows []daemon.Row
		check(json.Unmarshal(out, &rows))
		seeding := 0
		for _, r := range rows {
			if r.State == "seeding" {
				seeding++
			}
		}
		if seeding == n {
			return
		}
		time.Sleep(time.Second)
	}
	panic("torrents not all seeding after 10 minutes")
}

func torrentGet(url string, n int) {
	body := `{"method":"torrent-get","arguments":{"fields":["id","name","status","percentDone","rateDownload","rateUpload","eta"]}}`
	sid := ""
	for range 2 {
		req, _ := http.NewRequest("POST", url+"transmission/rpc", strings.NewReader(body))
		req.Header.Set("X-Transmission-Session-Id", sid)
		resp, err := http.DefaultClient.Do(req)
		check(err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusConflict {
			sid = resp.Header.Get("X-Transmission-Session-Id")
			continue
		}
		if c := bytes.Count(b, []byte(`"hashString"`)) + bytes.Count(b, []byte(`"name"`)); c < n {
			panic(fmt.Sprintf("torrent-get answered %d torrents: %.200s", c, b))
		}
		return
	}
	panic("no session id")
}

func timeN(n int, f func()) []time.Duration {
	var ds []time.Duration
	for range n {
		t0 := time.Now()
		f()
		ds = append(ds, time.Since(t0))
	}
	return ds
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuSeconds is the process's user+system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	check(err)
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100 // USER_HZ
}

func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
