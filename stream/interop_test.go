package stream_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-bt/shoal/internal/testnet"
)

func TestServe_CurlRange(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (apt-get install curl)")
	}
	src, tor := payload(t, testnet.File{Path: "movie.mp4", Size: 8 << 20})
	want := read(t, filepath.Join(src, "payload", "movie.mp4"))
	s := leecher(t, tor, seedSession(t, src, tor, 512<<10))
	u := fileURL(t, serve(t, s, 64<<10), s, tor.InfoHash, 0)
	from, to := 5<<20+1, 5<<20+100_000
	out := filepath.Join(t.TempDir(), "part")
	cmd := exec.CommandContext(t.Context(), curl, "--silent", "--show-error", "--fail", "--range",
		fmt.Sprintf("%d-%d", from, to), "--output", out, u)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl: %v: %s", err, b)
	}
	ts, _ := testnet.Find(s, tor.InfoHash)
	if got := read(t, out); !bytes.Equal(got, want[from:to+1]) {
		t.Fatalf("curl got %d bytes, not the file's %d at %d", len(got), to+1-from, from)
	}
	if ts.DoneBytes >= ts.WantedBytes/2 {
		t.Fatalf("curl's range came back once %d of %d bytes were verified", ts.DoneBytes, ts.WantedBytes)
	}
}

// wav is a PCM WAV file of seconds of silence-ish samples at 8 kHz mono.
func wav(seconds int) []byte {
	const rate = 8000
	data := make([]byte, rate*2*seconds)
	for i := range len(data) / 2 {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(i*37))
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestServe_FFprobe(t *testing.T) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe is not installed (apt-get install ffmpeg)")
	}
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "payload"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "payload", "tone.wav"), wav(120), 0o644); err != nil {
		t.Fatal(err)
	}
	tor := testnet.Create(t, filepath.Join(src, "payload"), 16<<10)
	s := leecher(t, tor, seedSession(t, src, tor, 256<<10))
	u := fileURL(t, serve(t, s, 64<<10), s, tor.InfoHash, 0)
	out, err := exec.CommandContext(t.Context(), ffprobe, "-v", "error", "-show_entries", "format=format_name,duration",
		"-of", "default=noprint_wrappers=1", u).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "format_name=wav") {
		t.Fatalf("ffprobe says %q, want format_name=wav", out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if d, ok := strings.CutPrefix(line, "duration="); ok {
			if f, err := strconv.ParseFloat(d, 64); err != nil || f < 119 || f > 121 {
				t.Fatalf("ffprobe duration %q, want 120", d)
			}
		}
	}
}
