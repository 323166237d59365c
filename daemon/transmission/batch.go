package transmission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// maxBatch bounds a JSON-RPC batch: a remote refreshing its view sends a
// handful of calls, and every call may cost a snapshot walk.
const maxBatch = 64

// rpcParseError is JSON-RPC's code for a body that is not JSON.
const rpcParseError = -32700

// isBatch reports whether body is a JSON-RPC batch: an array of requests.
func isBatch(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '['
}

// serveBatch answers a JSON-RPC 2.0 batch: each request in turn, in order,
// as if sent alone, and one array of the answers (none for notifications;
// 204 when nothing is left to answer). Only JSON-RPC requests may be
// batched: the classic protocol has no arrays.
func (h *Handler) serveBatch(w http.ResponseWriter, r *http.Request, body []byte) {
	var raw []json.RawMessage
	err := checkDepth(body)
	if err == nil {
		err = json.Unmarshal(body, &raw)
	}
	switch {
	case err != nil:
		writeRPCValue(w, batchError(rpcParseError, fmt.Sprintf("malformed JSON batch: %v", err)))
		return
	case len(raw) == 0:
		writeRPCValue(w, batchError(rpcInvalidRequest, "an empty batch: send at least one request"))
		return
	case len(raw) > maxBatch:
		writeRPCValue(w, batchError(rpcInvalidRequest, fmt.Sprintf("a batch of %d requests: at most %d", len(raw), maxBatch)))
		return
	}
	var out []object
	for _, elem := range raw {
		req, err := decodeRequest(elem)
		if err == nil && req.JSONRPC == "" {
			err = errors.New(`a batch holds JSON-RPC 2.0 requests ("jsonrpc": "2.0"), not classic ones`)
		}
		var args any
		if err != nil {
			err = &requestError{err}
		} else {
			req.Method, _ = legacyMethod(req.Method)
			req.Arguments = req.Params
			if args, err = h.call(r, req, namesFor(true)); err != nil {
				h.log.Debug("RPC call failed", "method", req.Method, "err", err)
			}
		}
		if o, ok := rpcAnswer(req, args, err); ok {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeRPCValue(w, out)
}

// batchError is a JSON-RPC error answer to a request whose id is unknown.
func batchError(code int, msg string) object {
	return object{{"jsonrpc", "2.0"}, {"error", object{{"code", code}, {"message", msg},
		{"data", object{{"error_string", msg}}}}}, {"id", json.RawMessage("null")}}
}
