package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const udpProtocolID = 0x41727101980

type udpConn struct {
	c      *net.UDPConn
	id     uint64
	issued time.Time
	buf    []byte
}

func dialUDP(addr string) (*udpConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	return &udpConn{c: c, buf: make([]byte, 2048)}, nil
}

// connect gets a connection id, retrying lost packets.
func (u *udpConn) connect() error {
	for range 10 {
		pkt := binary.BigEndian.AppendUint64(nil, udpProtocolID)
		pkt = binary.BigEndian.AppendUint32(pkt, 0)
		pkt = binary.BigEndian.AppendUint32(pkt, 0xC0FFEE)
		if _, err := u.c.Write(pkt); err != nil {
			return err
		}
		_ = u.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		for {
			n, err := u.c.Read(u.buf)
			if err != nil {
				break
			}
			if n == 16 && binary.BigEndian.Uint32(u.buf) == 0 && binary.BigEndian.Uint32(u.buf[4:]) == 0xC0FFEE {
				u.id, u.issued = binary.BigEndian.Uint64(u.buf[8:]), time.Now()
				return nil
			}
		}
	}
	return errors.New("udp connect: no answer")
}

func (u *udpConn) announce(dst []byte, tx uint32, ih [20]byte, port uint16, left uint64, event uint32) []byte {
	b := binary.BigEndian.AppendUint64(dst, u.id)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, tx)
	b = append(b, ih[:]...)
	var pid [20]byte
	copy(pid[:], "-TL0001-")
	binary.BigEndian.PutUint16(pid[18:], port)
	b = append(b, pid[:]...)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint64(b, left)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint32(b, event)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 50) // numwant
	return binary.BigEndian.AppendUint16(b, port)
}

type job struct {
	ih   [20]byte
	port uint16
	left uint64
}

// window sends the jobs (up to the window size) and collects answers,
// returning the jobs whose answers did not come back.
func (u *udpConn) window(jobs []job, event uint32, txBase uint32, r *result) ([]job, error) {
	if time.Since(u.issued) > 60*time.Second {
		if err := u.connect(); err != nil {
			return nil, err
		}
		r.reconnects++
	}
	pkt := make([]byte, 0, 98)
	for k, j := range jobs {
		pkt = u.announce(pkt[:0], txBase+uint32(k), j.ih, j.port, j.left, event)
		if _, err := u.c.Write(pkt); err != nil {
			return nil, err
		}
	}
	got := make([]bool, len(jobs))
	pending := len(jobs)
	_ = u.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for pending > 0 {
		n, err := u.c.Read(u.buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			return nil, err
		}
		if n < 8 {
			continue
		}
		k := int(binary.BigEndian.Uint32(u.buf[4:]) - txBase)
		if k < 0 || k >= len(jobs) || got[k] {
			continue
		}
		got[k] = true
		pending--
		switch binary.BigEndian.Uint32(u.buf) {
		case 1:
			r.answers++
		default:
			r.errors++
		}
	}
	var lost []job
	for k, ok := range got {
		if !ok {
			lost = append(lost, jobs[k])
		}
	}
	r.lost += int64(len(lost))
	return lost, nil
}

// fill announces every torrent × peer once (event started), resending
// lost ones, and returns how many were answered.
func fill(o options) (int64, error) {
	var next atomic.Int64
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.workers)
	for w := range o.workers {
		wg.Go(func() {
			u, err := dialUDP(o.addr)
			if err == nil {
				err = u.connect()
			}
			if err != nil {
				errs <- err
				return
			}
			defer u.c.Close()
			var r result
			tx := uint32(w) << 24
			for {
				start := next.Add(int64(o.window)) - int64(o.window)
				if start >= int64(o.torrents*o.peers) {
					break
				}
				var jobs []job
				for n := start; n < min(start+int64(o.window), int64(o.torrents*o.peers)); n++ {
					i, j := int(n)/o.peers, int(n)%o.peers
					jobs = append(jobs, job{ih: infoHash(i), port: peerPort(j), left: uint64(j % 2)})
				}
				for try := 0; len(jobs) > 0 && try < 5; try++ {
					tx += uint32(o.window)
					if jobs, err = u.window(jobs, 2, tx, &r); err != nil {
						errs <- err
						return
					}
				}
			}
			total.Add(r.answers)
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return total.Load(), err
	}
	if got, want := total.Load(), int64(o.torrents*o.peers); got < want*99/100 {
		return got, fmt.Errorf("only %d of %d announces answered", got, want)
	}
	return total.Load(), nil
}

// loadUDP re-announces random peers of the filled torrents for o.duration.
func loadUDP(o options) (result, error) {
	return runWorkers(o, func(w int, deadline time.Time, r *result) error {
		u, err := dialUDP(o.addr)
		if err == nil {
			err = u.connect()
		}
		if err != nil {
			return err
		}
		defer u.c.Close()
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		jobs := make([]job, o.window)
		tx := uint32(w) << 24
		for time.Now().Before(deadline) {
			for k := range jobs {
				j := rng.IntN(o.peers)
				jobs[k] = job{ih: infoHash(rng.IntN(o.torrents)), port: peerPort(j), left: uint64(j % 2)}
			}
			tx += uint32(o.window)
			if _, err := u.window(jobs, 0, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
}
