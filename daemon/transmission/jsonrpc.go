package transmission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Transmission 4.1 also takes its RPC as JSON-RPC 2.0: "jsonrpc": "2.0",
// "params" for the arguments and "id" for the tag, every name in
// snake_case. The answer is {"jsonrpc", "result", "id"} with the
// arguments as the result, or {"jsonrpc", "error": {"code", "message",
// "data": {"error_string"}}, "id"}; a call without an id (a notification)
// is answered 204 with no body.

// JSON-RPC's error codes, and one for what the call itself refused.
const (
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcCallFailed     = -32000 // a server error: the call was understood and refused
)

// argsError is a method's arguments that do not decode.
type argsError struct{ error }

func (e *argsError) Unwrap() error { return e.error }

// requestError is a JSON-RPC request whose envelope is wrong.
type requestError struct{ error }

func (e *requestError) Unwrap() error { return e.error }

// unknownMethodError is a method shoal does not know.
type unknownMethodError struct{ method string }

func (e *unknownMethodError) Error() string {
	return fmt.Sprintf("method name not recognized: %q", e.method)
}

// jsonRPC checks a JSON-RPC request's envelope; the handler then reads its
// params as a classic request's arguments.
func (r *request) jsonRPC() error {
	if r.JSONRPC == "" {
		return nil // a classic request: "params" and "id" mean nothing to it
	}
	if r.JSONRPC != "2.0" {
		return fmt.Errorf(`"jsonrpc" must be "2.0", not %q`, truncate(r.JSONRPC, 16))
	}
	if a := bytes.TrimSpace(r.Arguments); len(a) > 0 && !bytes.Equal(a, []byte("null")) || len(r.Tag) > 0 {
		return errors.New(`a JSON-RPC request takes "params" and "id", not "arguments" and "tag"`)
	}
	if id := bytes.TrimSpace(r.ID); len(id) > 0 && (id[0] == '{' || id[0] == '[' || id[0] == 't' || id[0] == 'f') {
		return errors.New(`"id" must be a number, a string or null`)
	}
	if p := bytes.TrimSpace(r.Params); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
		return errors.New(`"params" must be an object`)
	}
	return nil
}

// writeJSONRPC answers a JSON-RPC request: args on success, err otherwise.
func writeJSONRPC(w http.ResponseWriter, req request, args any, err error) {
	o, ok := rpcAnswer(req, args, err)
	if !ok {
		w.WriteHeader(http.StatusNoContent) // a notification gets no answer
		return
	}
	writeRPCValue(w, o)
}

// rpcAnswer is the response object to a JSON-RPC request, and false for a
// notification that succeeded: it gets none.
func rpcAnswer(req request, args any, err error) (object, bool) {
	if len(req.ID) == 0 && err == nil {
		return nil, false
	}
	id := any(json.RawMessage("null"))
	if len(req.ID) > 0 {
		id = req.ID
	}
	o := object{{"jsonrpc", "2.0"}}
	if err != nil {
		code := rpcCallFailed
		var ae *argsError
		var me *unknownMethodError
		var re *requestError
		switch {
		case errors.As(err, &re):
			code = rpcInvalidRequest
		case errors.As(err, &me):
			code = rpcMethodNotFound
		case errors.As(err, &ae):
			code = rpcInvalidParams
		}
		o = append(o, kv{"error", object{{"code", code}, {"message", err.Error()},
			{"data", object{{"error_string", err.Error()}}}}})
	} else {
		if args == nil {
			args = object{}
		}
		o = append(o, kv{"result", args})
	}
	return append(o, kv{"id", id}), true
}

// writeRPCValue writes one JSON-RPC response object or a batch's array.
func writeRPCValue(w http.ResponseWriter, v any) {
	b, encErr := appendValueIn(*bufs.Get().(*[]byte), v, snakeOf)
	if encErr != nil {
		http.Error(w, `{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error: encoding the response"},"id":null}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
	putBuf(b)
}
