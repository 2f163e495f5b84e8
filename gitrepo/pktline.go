package gitrepo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Pkt-line limits and special packets.
const (
	maxPktLen     = 65520 // LARGE_PACKET_MAX: the length prefix included
	maxPktPayload = maxPktLen - 4
	maxSideband   = maxPktPayload - 1
)

// pktKind tells a special packet from a data line.
type pktKind int

const (
	pktData  pktKind = iota
	pktFlush         // 0000
	pktDelim         // 0001
	pktEnd           // 0002 (response-end; not expected from clients)
)

// ProtocolError is a malformed or unsupported request. Its message is safe to
// show to the client (git prints it as "remote error: …").
type ProtocolError struct{ Msg string }

// Error returns the message.
func (e *ProtocolError) Error() string { return e.Msg }

func protocolErrorf(format string, args ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// pktReader reads pkt-lines from a client request.
type pktReader struct{ r *bufio.Reader }

func newPktReader(r io.Reader) *pktReader { return &pktReader{r: bufio.NewReaderSize(r, 8<<10)} }

// next returns the next packet. A data line loses one trailing "\n".
// io.EOF means the request ended cleanly before a packet.
func (p *pktReader) next() (pktKind, string, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		if err == io.EOF {
			return 0, "", io.EOF
		}
		return 0, "", readError(err)
	}
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return 0, "", protocolErrorf("malformed pkt-line length %q", hdr[:])
	}
	switch {
	case n == 0:
		return pktFlush, "", nil
	case n == 1:
		return pktDelim, "", nil
	case n == 2:
		return pktEnd, "", nil
	case n < 4 || n > maxPktLen:
		return 0, "", protocolErrorf("malformed pkt-line length %d", n)
	}
	buf := make([]byte, n-4)
	if _, err := io.ReadFull(p.r, buf); err != nil {
		return 0, "", readError(err)
	}
	if len(buf) > 0 && buf[len(buf)-1] == '\n' {
		buf = buf[:len(buf)-1]
	}
	return pktData, string(buf), nil
}

// readError reports a request that ended inside a packet as malformed, a
// body over its limit as it is, and any other failure to read the body (a
// client too slow or gone) as a bodyError.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return protocolErrorf("truncated pkt-line")
	case errors.As(err, &tooLarge):
		return err
	}
	return &bodyError{err: err}
}

// bodyError is a request body that could not be read: the client's fault.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "read request: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// pktWriter writes pkt-lines of a response; the first error sticks.
type pktWriter struct {
	w   io.Writer
	err error
}

func (p *pktWriter) write(b []byte) {
	if p.err != nil {
		return
	}
	_, p.err = p.w.Write(b)
}

// line writes one data line (s should end with "\n").
func (p *pktWriter) line(s string) {
	p.write([]byte(fmt.Sprintf("%04x%s", len(s)+4, s)))
}

// linef writes one formatted data line followed by "\n".
func (p *pktWriter) linef(format string, args ...any) { p.line(fmt.Sprintf(format, args...) + "\n") }

func (p *pktWriter) flush() { p.write([]byte("0000")) }
func (p *pktWriter) delim() { p.write([]byte("0001")) }

// sidebandWriter sends data on one band of side-band-64k, in packets as
// large as allowed.
type sidebandWriter struct {
	w    io.Writer
	band byte
	buf  []byte
}

func newSidebandWriter(w io.Writer, band byte) *sidebandWriter {
	b := make([]byte, 5, maxPktLen)
	b[4] = band
	return &sidebandWriter{w: w, band: band, buf: b}
}

func (s *sidebandWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), maxPktLen-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(s.buf) == maxPktLen {
			if err := s.Flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Flush sends what is buffered as one packet.
func (s *sidebandWriter) Flush() error {
	if len(s.buf) == 5 {
		return nil
	}
	copy(s.buf, fmt.Sprintf("%04x", len(s.buf)))
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:5]
	return err
}
