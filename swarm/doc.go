// Package swarm is shoal's BitTorrent engine: a Session of torrents, each
// owned by one goroutine, speaking the peer wire protocol (BEP 3, 6, 9, 10,
// 11, 23) with peers found through trackers, the DHT, PEX and LSD.
//
// UIs read the engine through immutable Snapshots and the Events channel.
package swarm
