//go:build !(linux && (amd64 || arm64))

package tracker

func (u *udpFrontend) readLoopPlatform() { u.readLoop() }
