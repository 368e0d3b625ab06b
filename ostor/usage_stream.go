package ostor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxErrorBodyBytes bounds how much of a non-2xx body a streamed call reads
// for its error message.
const maxErrorBodyBytes = 64 << 10

// StreamUsage reads one usage object like GetUsage, but calls fn for each
// item as soon as it is decoded, so that an object of any size needs memory
// for one item at a time. It returns the object without Items.
//
// When StreamUsage returns an error, fn may already have seen some items of
// the object: the caller must discard what it gathered from them. An error
// from fn stops the read and is returned as is. The request is retried like
// other reads until the gateway sends a 2xx status, and a failure while
// reading the body is not retried.
func (c *Client) StreamUsage(ctx context.Context, name string, fn func(UsageItem) error) (UsageObject, error) {
	if err := validateName(OpUsageGet, "usage object name", name); err != nil {
		return UsageObject{}, err
	}
	var obj UsageObject
	err := c.stream(ctx, OpUsageGet, newQuery("usage").set("obj", name), func(resp *http.Response) error {
		var err error
		obj, err = readUsageObject(resp.Body, name, resp.StatusCode, resp.Header.Get("Content-Type"), fn)
		return err
	})
	return obj, err
}

// ReadUsageObject decodes a usage object body from r item by item, as
// StreamUsage does, for bodies that come from elsewhere than the gateway,
// for example a saved object.
func ReadUsageObject(r io.Reader, name string, fn func(UsageItem) error) (UsageObject, error) {
	return readUsageObject(r, name, 0, "", fn)
}

// stream sends one read operation and hands a 2xx response to read, which
// must consume the body. Transport errors and 5xx responses are retried up
// to c.readAttempts attempts. As in call, c.timeout bounds the whole call:
// every attempt, every backoff wait and the body read share one deadline.
func (c *Client) stream(ctx context.Context, op string, q *query, read func(*http.Response) error) error {
	method, ok := c.profile.Methods[op]
	if !ok {
		return fmt.Errorf("ostor: internal error: operation %q has no method", op)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()

	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
				err = fmt.Errorf("no response within the timeout of %s, retries included: %w", c.timeout, err)
			}
			return &TransportError{Op: op, Method: method, Err: err}
		}

		failure, done := c.streamAttempt(ctx, op, method, q, read)
		if done || attempt >= c.readAttempts || ctx.Err() != nil {
			return failure
		}
		wait := c.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return failure
		}
		if err := sleepContext(ctx, wait); err != nil {
			return failure
		}
	}
}

// streamAttempt makes one attempt of stream. done is false when the
// failure may be retried.
//
// The attempt is reported to Config.Observe once read returns, so its
// duration includes the time read spends in the item callback.
func (c *Client) streamAttempt(ctx context.Context, op, method string, q *query, read func(*http.Response) error) (failure error, done bool) {
	start := time.Now()
	httpResp, err := c.do(ctx, method, q, nil)
	if err != nil {
		c.observeStream(op, 0, err, start)
		return &TransportError{Op: op, Method: method, Err: err}, false
	}
	defer httpResp.Body.Close()

	if httpResp.StatusCode >= 200 && httpResp.StatusCode < 300 {
		err := read(httpResp)
		var transportErr *TransportError
		if errors.As(err, &transportErr) {
			c.observeStream(op, 0, transportErr, start)
		} else {
			c.observeStream(op, httpResp.StatusCode, nil, start)
		}
		return err, true
	}

	data, err := io.ReadAll(io.LimitReader(httpResp.Body, maxErrorBodyBytes))
	if err != nil {
		c.observeStream(op, 0, err, start)
		return &TransportError{Op: op, Method: method, Err: fmt.Errorf("reading response body: %w", err)}, false
	}
	c.observeStream(op, httpResp.StatusCode, nil, start)
	resp := &response{status: httpResp.StatusCode, header: httpResp.Header, contentType: httpResp.Header.Get("Content-Type"), body: data}
	return c.apiError(op, method, resp), httpResp.StatusCode < 500
}

// observeStream reports one attempt of stream, a read, to Config.Observe.
func (c *Client) observeStream(op string, status int, err error, start time.Time) {
	if c.observe != nil {
		c.observe(op, status, err, time.Since(start))
	}
}

// readRecorder keeps the first read error of the body, so that a
// connection failure mid-body is reported as such and not as malformed JSON.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// usageStreamError wraps an error of the item callback while the decoder
// unwinds, so that readUsageObject returns it unchanged instead of as a
// decode error.
type usageStreamError struct{ err error }

func (e usageStreamError) Error() string { return e.err.Error() }

func readUsageObject(body io.Reader, name string, status int, contentType string, fn func(UsageItem) error) (UsageObject, error) {
	recorder := &readRecorder{r: body}
	buffered := bufio.NewReader(recorder)
	fail := func(reason string, cause error) (UsageObject, error) {
		if recorder.err != nil {
			return UsageObject{}, &TransportError{Op: OpUsageGet, Method: http.MethodGet, Err: fmt.Errorf("reading response body: %w", recorder.err)}
		}
		return UsageObject{}, &DecodeError{Op: OpUsageGet, Status: status, ContentType: contentType, Reason: reason, Err: cause}
	}

	first, err := firstNonSpace(buffered)
	switch {
	case err == io.EOF:
		return fail("body is empty, expected JSON", nil)
	case err != nil:
		return fail("body is unreadable", err)
	case first == '<':
		return fail("body is HTML or XML, not JSON: check that Endpoint is the S3 gateway and not a proxy or web page", nil)
	}

	var w wireUsageObject
	var count int64
	dec := json.NewDecoder(buffered)
	err = walkObject(dec, func(key string) error {
		switch key {
		case "fmt_version":
			return dec.Decode(&w.FmtVersion)
		case "service_id":
			return dec.Decode(&w.ServiceID)
		case "start_ts":
			return dec.Decode(&w.StartTS)
		case "period":
			return dec.Decode(&w.Period)
		case "nr_items":
			return dec.Decode(&w.NrItems)
		case "items":
			return walkArray(dec, func() error {
				var item wireUsageItem
				if err := dec.Decode(&item); err != nil {
					return err
				}
				count++
				if err := fn(item.toItem()); err != nil {
					return usageStreamError{err}
				}
				return nil
			})
		default:
			var skipped json.RawMessage
			return dec.Decode(&skipped)
		}
	})
	var fnErr usageStreamError
	if errors.As(err, &fnErr) {
		return UsageObject{}, fnErr.err
	}
	if err != nil {
		reason := "body is not the expected JSON"
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			reason = "body is truncated JSON"
		}
		return fail(reason, err)
	}

	serviceID, err := decodeServiceID(w.ServiceID)
	if err != nil {
		return fail(err.Error(), nil)
	}
	if parsed, err := ParseUsageName(name); err == nil {
		if serviceID != "" && serviceID != parsed.ServiceID {
			return fail(fmt.Sprintf("service_id %s does not match %s in the object name %q", serviceID, parsed.ServiceID, name), nil)
		}
		serviceID = parsed.ServiceID
	}
	if int64(w.NrItems) > count {
		return fail(fmt.Sprintf("nr_items is %d but the body has only %d items", int64(w.NrItems), count), nil)
	}
	return UsageObject{
		Name:       name,
		FmtVersion: int64(w.FmtVersion),
		ServiceID:  serviceID,
		Start:      time.Unix(int64(w.StartTS), 0).UTC(),
		Period:     int64(w.Period),
	}, nil
}

func firstNonSpace(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, r.UnreadByte()
	}
}

// walkObject reads a JSON object from dec and calls member for each key,
// with dec positioned before the value, which member must consume.
func walkObject(dec *json.Decoder, member func(key string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		token, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := token.(string)
		if !ok {
			return fmt.Errorf("expected an object key, got %v", token)
		}
		if err := member(key); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

// walkArray reads a JSON array from dec and calls element before each
// element, which element must consume. A null array has no elements.
func walkArray(dec *json.Decoder, element func() error) error {
	token, err := dec.Token()
	if err != nil {
		return err
	}
	if token == nil {
		return nil
	}
	if token != json.Delim('[') {
		return fmt.Errorf("expected an array, got %v", token)
	}
	for dec.More() {
		if err := element(); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	token, err := dec.Token()
	if err != nil {
		return err
	}
	if token != want {
		return fmt.Errorf("expected %v, got %v", want, token)
	}
	return nil
}
