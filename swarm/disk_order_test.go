package swarm

import (
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// TestDisk_DuplicateNotedAfterTheKeptCopy: an endgame duplicate of a
// block still waiting in the run to be written is noted after the kept
// copy, which the actor then credits (before, the duplicate's note went
// first, and a piece that failed its hash would blame the peer whose copy
// was thrown away).
func TestDisk_DuplicateNotedAfterTheKeptCopy(t *testing.T) {
	const pieceLen = 4 * blockSize
	r := newDiskRig(t, []int{2 * pieceLen}, pieceLen)
	kept, dup := &peer{}, &peer{}
	send := func(p *peer, begin int) {
		buf := getBlock()
		copy(*buf, r.src[begin:begin+blockSize])
		r.c.diskShard(0) <- diskBlock{p: p, b: pieces.Block{Piece: 0, Begin: begin, Length: blockSize}, buf: buf}
	}
	send(kept, 0)
	send(dup, 0)
	for b := 1; b < 4; b++ {
		send(kept, b*blockSize)
	}
	var got []blockNote
	timeout := time.After(30 * time.Second)
	for len(got) < 5 {
		select {
		case ev := <-r.notes:
			got = append(got, ev.notes...)
		case <-timeout:
			t.Fatalf("%d notes in 30 s, want 5", len(got))
		}
	}
	for _, n := range got {
		if n.b.Begin == 0 {
			if n.p != kept {
				t.Errorf("block 0: the discarded duplicate was noted first; the actor would credit its sender")
			}
			break
		}
	}
}
