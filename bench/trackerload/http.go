package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"time"
)

const hexDigits = "0123456789ABCDEF"

func appendEscaped(b []byte, s []byte) []byte {
	for _, c := range s {
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// httpConn is one keep-alive connection; it redials when the tracker closes
// it, and counts that, since a tracker without keep-alive pays a TCP
// handshake per announce.
type httpConn struct {
	addr  string
	close bool
	c     net.Conn
	r     *bufio.Reader
	req   []byte
}

func (h *httpConn) dial() error {
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		return err
	}
	h.c, h.r = c, bufio.NewReaderSize(c, 4096)
	return nil
}

func (h *httpConn) request(ih [20]byte, port uint16, left uint64) []byte {
	b := append(h.req[:0], "GET /announce?info_hash="...)
	b = appendEscaped(b, ih[:])
	b = append(b, "&peer_id=-TL0001-"...)
	ps := strconv.FormatUint(uint64(port), 10)
	b = append(b, "000000000000"[len(ps):]...) // 12 digits
	b = append(b, ps...)
	b = append(b, "&port="...)
	b = strconv.AppendUint(b, uint64(port), 10)
	b = append(b, "&uploaded=0&downloaded=0&left="...)
	b = strconv.AppendUint(b, left, 10)
	b = append(b, "&compact=1&numwant=50 HTTP/1.1\r\nHost: "...)
	b = append(b, h.addr...)
	if h.close {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	h.req = b
	return b
}

var errClosed = errors.New("connection closed by tracker")

// roundTrip sends one announce and reads the answer. It reports whether the
// body was a failure.
func (h *httpConn) roundTrip(req []byte) (failed bool, err error) {
	if _, err := h.c.Write(req); err != nil {
		return false, err
	}
	status, err := h.r.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.")) {
		return false, fmt.Errorf("bad status line %q", status)
	}
	length, closeAfter := -1, bytes.HasPrefix(status, []byte("HTTP/1.0"))
	for {
		line, err := h.r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(v))
		case bytes.EqualFold(k, []byte("Connection")):
			closeAfter = bytes.EqualFold(v, []byte("close"))
		}
	}
	var body []byte
	if length >= 0 {
		body = make([]byte, length)
		_, err = io.ReadFull(h.r, body)
	} else {
		body, err = io.ReadAll(h.r)
		closeAfter = true
	}
	if err != nil {
		return false, err
	}
	failed = bytes.Contains(body, []byte("failure reason"))
	if closeAfter {
		return failed, errClosed
	}
	return failed, nil
}

func loadHTTP(o options) (result, error) {
	return runWorkers(o, func(w int, deadline time.Time, r *result) error {
		h := &httpConn{addr: o.addr, close: o.closeConns}
		if err := h.dial(); err != nil {
			return err
		}
		defer func() { h.c.Close() }()
		rng := rand.New(rand.NewPCG(uint64(w), 9))
		for time.Now().Before(deadline) {
			j := rng.IntN(o.peers)
			failed, err := h.roundTrip(h.request(infoHash(rng.IntN(o.torrents)), peerPort(j), uint64(j%2)))
			if err == nil || errors.Is(err, errClosed) {
				if failed {
					r.errors++
				} else {
					r.answers++
				}
			}
			if err != nil {
				h.c.Close()
				r.reconnects++
				if err := h.dial(); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// probe announces torrent 0 over HTTP until the tracker accepts it: a
// tracker may load its allow-list after it starts listening.
func probe(o options) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		h := &httpConn{addr: o.addr}
		if err := h.dial(); err == nil {
			failed, err := h.roundTrip(h.request(infoHash(0), 65000, 1))
			h.c.Close()
			if (err == nil || errors.Is(err, errClosed)) && !failed {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("probe: the tracker did not accept torrent 0 within 30s")
}
