//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting, so that a scenario's figure can be read against what
// the machine had to give: seed, leecher and proxy share its cores, and a
// rate below the one-flow limit is the network's fault only if they left
// some of them idle.

// selfCPU is the user and system CPU time this process (the proxies,
// the tracker, and a one-flow run's source and sink) has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user and system CPU time process pid has used so far,
// from /proc (Linux; 0 elsewhere). The kernel counts it in USER_HZ ticks,
// 100 a second on every Linux build in use.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after it do not.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

// machineIdle is the CPU time all cores of the machine have spent idle so
// far, from /proc/stat (0 elsewhere): other processes' load shows as
// idle time missing.
func machineIdle() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait ...
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	idle, _ := strconv.ParseInt(f[4], 10, 64)
	wait, _ := strconv.ParseInt(f[5], 10, 64)
	return time.Duration(idle+wait) * 10 * time.Millisecond
}

// secPerGiB is CPU time per GiB of payload moved.
func secPerGiB(cpu time.Duration, bytes int64) float64 {
	return cpu.Seconds() / (float64(bytes) / (1 << 30))
}

// usage is the CPU the seeds, the leecher and this process used during
// one download, and how much of the machine stayed idle meanwhile.
type usage struct {
	seeds               []*seed
	seedsAt, selfAt     time.Duration
	idleAt              time.Duration
	began               time.Time
	seed, self, leecher time.Duration
	idle                float64 // fraction of all cores' time
}

func (b *bench) startUsage(seeds []*seed) *usage {
	u := &usage{seeds: seeds, selfAt: selfCPU(), idleAt: machineIdle(), began: time.Now()}
	for _, s := range seeds {
		u.seedsAt += procCPU(s.cmd.Process.Pid)
	}
	return u
}

func (u *usage) stop(res leechResult) {
	wall := time.Since(u.began)
	u.self = selfCPU() - u.selfAt
	for _, s := range u.seeds {
		u.seed += procCPU(s.cmd.Process.Pid)
	}
	u.seed -= u.seedsAt
	u.leecher = res.cpu
	u.idle = (machineIdle() - u.idleAt).Seconds() / (wall.Seconds() * float64(runtime.NumCPU()))
}

// print says what each part cost per GiB, the rate those costs allow on
// this machine's cores, and the one-flow run's cost (source, proxy and
// sink in this one process) for comparison.
func (u *usage) print(size int64, flowPerGiB float64) {
	l, s, p := secPerGiB(u.leecher, size), secPerGiB(u.seed, size), secPerGiB(u.self, size)
	fmt.Printf("    CPU-s per GiB: leecher %.2f, seed %.2f, proxy %.2f; sum %.2f allows %.0f MiB/s on %d idle cores"+
		" (the one-flow run: %.2f, %.0f MiB/s); the machine was %.0f%% idle meanwhile\n",
		l, s, p, l+s+p, float64(runtime.NumCPU())/(l+s+p)*1024, runtime.NumCPU(),
		flowPerGiB, float64(runtime.NumCPU())/flowPerGiB*1024, 100*u.idle)
}
