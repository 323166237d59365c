package tracker_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/shoal-bt/shoal/tracker"
)

// A tracker for a LAN: open to any torrent, on a port the OS picks, with its
// completed counts kept in a file. Run returns when ctx is done.
func Example() {
	s, err := tracker.New(tracker.Config{
		HTTPAddr:  "127.0.0.1:0",
		UDPAddr:   "127.0.0.1:0",
		Interval:  3 * time.Minute,
		StateFile: "", // e.g. "/var/lib/shoal/tracker-state.txt"
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("announce at", "http://"+s.HTTPAddr().String()+"/announce", "and", "udp://"+s.UDPAddr().String()+"/announce")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
