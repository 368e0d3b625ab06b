package ostortest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// handleS3GetObject serves GetObject with a body of zero bytes of the
// stored size, because the fake keeps sizes, not contents. A Range header
// with one byte range is honoured with 206 Partial Content. Other Range
// forms are ignored, as RFC 9110 allows, and the whole object is sent.
func handleS3GetObject(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}
	obj, ok := b.objects[req.key]
	if !ok {
		return s3Result{}, false, errorf(http.StatusNotFound, "NoSuchKey", "the key %q does not exist", req.key)
	}

	headers := map[string]string{
		"ETag":          obj.etag,
		"Last-Modified": obj.modified.UTC().Format(http.TimeFormat),
		"Content-Type":  "binary/octet-stream",
		"Accept-Ranges": "bytes",
	}
	first, length, ranged, rangeErr := parseByteRange(req.r.Header.Get("Range"), obj.size)
	if rangeErr != nil {
		return s3Result{}, false, rangeErr
	}
	if !ranged {
		return s3Result{headers: headers, zeroBody: obj.size}, false, nil
	}
	headers["Content-Range"] = fmt.Sprintf("bytes %d-%d/%d", first, first+length-1, obj.size)
	return s3Result{status: http.StatusPartialContent, headers: headers, zeroBody: length}, false, nil
}

// parseByteRange reads a Range header of one range, "bytes=first-last",
// "bytes=first-" or "bytes=-suffix", against an object of size bytes. It
// returns ranged=false for an empty header or a form it ignores, and 416
// InvalidRange for a range that starts at or after the end of the object.
func parseByteRange(header string, size int64) (first, length int64, ranged bool, err *apiError) {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	firstText, lastText, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, nil
	}
	invalid := errorf(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "the range %q is not satisfiable for an object of %d bytes", header, size)

	if firstText == "" {
		suffix, perr := strconv.ParseInt(lastText, 10, 64)
		if perr != nil || suffix < 0 {
			return 0, 0, false, nil
		}
		if suffix == 0 || size == 0 {
			return 0, 0, false, invalid
		}
		suffix = min(suffix, size)
		return size - suffix, suffix, true, nil
	}

	first, perr := strconv.ParseInt(firstText, 10, 64)
	if perr != nil || first < 0 {
		return 0, 0, false, nil
	}
	last := size - 1
	if lastText != "" {
		parsed, perr := strconv.ParseInt(lastText, 10, 64)
		if perr != nil || parsed < first {
			return 0, 0, false, nil
		}
		last = min(parsed, size-1)
	}
	if first >= size {
		return 0, 0, false, invalid
	}
	return first, last - first + 1, true, nil
}
