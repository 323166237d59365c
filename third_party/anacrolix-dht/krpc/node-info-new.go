package krpc

// This is a comparable replacement for NodeInfo.
type NodeInfoAddrPort struct {
	ID   ID
	Addr NodeAddrPort
}
