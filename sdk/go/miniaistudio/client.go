// Package miniaistudio is a small client for the Mini AI Studio /api/v2 API, built on the
// standard library only.
//
//	c := &miniaistudio.Client{APIKey: os.Getenv("MINIAI_API_KEY")}
//	run, err := c.RunRecipe(ctx, "media_split", miniaistudio.RunRecipeRequest{Inputs: inputs, Execute: true})
//
// Every method takes a context.Context. Errors answered by the studio are *APIError values
// carrying the stable code (use errors.As). Requests refused by the rate limiter (429) are
// retried after Retry-After; server errors (5xx) and transport failures are retried with
// exponential backoff only for requests that are safe to repeat. Every POST carries an
// Idempotency-Key (the same on its repeats): the studio replays the first answer to a repeated
// key, so POSTs are safe to repeat too.
package miniaistudio

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is where a studio started with `make run` listens.
const DefaultBaseURL = "http://127.0.0.1:8790"

// Version of this SDK, sent in the User-Agent header.
const Version = "0.1.0"

// Retry bounds: at most DefaultMaxRetries repeats, backoff from 500 ms doubling up to 8 s, and a
// Retry-After longer than maxRetryAfter is not waited for (the error is returned instead).
const (
	DefaultMaxRetries = 3
	maxBackoff        = 8 * time.Second
	maxRetryAfter     = 60 * time.Second
)

// initialBackoff is a variable so that the package's tests can shorten it.
var initialBackoff = 500 * time.Millisecond

// Client calls one studio. The zero value works: BaseURL defaults to $MINIAI_URL, then
// DefaultBaseURL; HTTPClient defaults to http.DefaultClient. Set APIKey (a mas_... key from the
// profile page) or Token (a login JWT from /api/v2/auth/login); APIKey wins when both are set.
type Client struct {
	APIKey     string
	Token      string
	BaseURL    string
	HTTPClient *http.Client

	// MaxRetries bounds the repeats of one call: 0 means DefaultMaxRetries, a negative value none.
	MaxRetries int
}

// APIError is an error answered by the studio: {"code", "message", "details"} with its HTTP status.
// Code is stable (see the reference document's error codes); Message is for people.
type APIError struct {
	Code       string
	Status     int
	Message    string
	Details    map[string]any
	RetryAfter time.Duration // from a Retry-After header (429, 503), else 0
}

func (e *APIError) Error() string {
	return fmt.Sprintf("miniaistudio: %s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// IsCode reports whether err is (or wraps) an *APIError with the given code.
func IsCode(err error, code string) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == code
}

// baseURL is the studio's address without a trailing slash.
func (c *Client) baseURL() string {
	base := c.BaseURL
	if base == "" {
		base = os.Getenv("MINIAI_URL")
	}
	if base == "" {
		base = DefaultBaseURL
	}
	return strings.TrimRight(base, "/")
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

func (c *Client) maxRetries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return DefaultMaxRetries
	default:
		return c.MaxRetries
	}
}

// AbsoluteURL turns a URL the studio answered (outputs and media carry paths such as
// /api/v2/media/{id}/download) into an absolute one on this client's BaseURL. Absolute URLs
// are returned unchanged.
func (c *Client) AbsoluteURL(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.IsAbs() {
		return u
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return c.baseURL() + u
}

// call describes one request.
type call struct {
	method    string
	path      string // under the base URL, e.g. /api/v2/recipes
	query     url.Values
	sessionID string // sent as X-Session-ID when set
	body      any    // JSON-encoded when not nil
	// idempotent: the request may be repeated after a server error or a transport failure
	// (GET, PUT, DELETE, and POSTs whose effect does not add up, such as stop or cancel).
	idempotent bool
}

// do sends the call, retrying as the package documentation says, and decodes a 2xx JSON answer
// into out (when out is not nil). A *json.RawMessage out receives the body as it came.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return fmt.Errorf("miniaistudio: encoding the request: %w", err)
		}
	}
	idempotent := cl.idempotent || cl.method == http.MethodGet || cl.method == http.MethodPut ||
		cl.method == http.MethodDelete || cl.method == http.MethodPost
	key := ""
	if cl.method == http.MethodPost {
		key = newIdempotencyKey()
	}
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, cl, payload)
		if err != nil {
			return err
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := c.httpClient().Do(req)
		if err != nil {
			if ctx.Err() != nil || !idempotent || attempt >= c.maxRetries() {
				return fmt.Errorf("miniaistudio: %s %s: %w", cl.method, cl.path, err)
			}
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return err
			}
			continue
		}
		body, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if readErr != nil {
			return fmt.Errorf("miniaistudio: reading the answer to %s %s: %w", cl.method, cl.path, readErr)
		}
		if resp.StatusCode < 300 {
			return decodeInto(body, out)
		}
		apiErr := errorFrom(resp, body)
		wait, retry := retryDelay(resp.StatusCode, apiErr.RetryAfter, idempotent, attempt)
		if !retry || attempt >= c.maxRetries() {
			return apiErr
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (c *Client) newRequest(ctx context.Context, cl call, payload []byte) (*http.Request, error) {
	target := c.baseURL() + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("miniaistudio: %w", err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.authorize(req, cl.sessionID)
	return req, nil
}

// authorize sets the credential, the active session and the client's name on a request.
func (c *Client) authorize(req *http.Request, sessionID string) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "miniaistudio-go-sdk/"+Version)
	if credential := c.credential(); credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	if sessionID != "" {
		req.Header.Set("X-Session-ID", sessionID)
	}
}

func (c *Client) credential() string {
	if c.APIKey != "" {
		return c.APIKey
	}
	return c.Token
}

func decodeInto(body []byte, out any) error {
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], body...)
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("miniaistudio: decoding the answer: %w", err)
	}
	return nil
}

// errorFrom reads the v2 error envelope; an answer without one (a proxy's page) keeps its status
// as the code, HTTP_<status>.
func errorFrom(resp *http.Response, body []byte) *APIError {
	apiErr := &APIError{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	var envelope struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	if json.Unmarshal(body, &envelope) == nil && envelope.Code != "" {
		apiErr.Code, apiErr.Message, apiErr.Details = envelope.Code, envelope.Message, envelope.Details
		return apiErr
	}
	apiErr.Code = "HTTP_" + strconv.Itoa(resp.StatusCode)
	apiErr.Message = strings.TrimSpace(string(body))
	if len(apiErr.Message) > 200 {
		apiErr.Message = apiErr.Message[:200]
	}
	if apiErr.Message == "" {
		apiErr.Message = http.StatusText(resp.StatusCode)
	}
	return apiErr
}

// retryDelay decides whether an error answer is worth another attempt, and after how long.
// 429 is always retried: the rate limiter refuses a request before any work is done. 5xx only
// when the request is safe to repeat; 409 only with a Retry-After (IDEMPOTENCY_KEY_IN_FLIGHT: the
// first sending is still being answered). A Retry-After beyond maxRetryAfter is not waited for.
func retryDelay(status int, retryAfter time.Duration, idempotent bool, attempt int) (time.Duration, bool) {
	retryable := status == http.StatusTooManyRequests || (status >= 500 && idempotent) ||
		(status == http.StatusConflict && retryAfter > 0)
	if !retryable {
		return 0, false
	}
	if retryAfter > 0 {
		return retryAfter, retryAfter <= maxRetryAfter
	}
	return backoff(attempt), true
}

// newIdempotencyKey is a random key for one POST and its repeats.
func newIdempotencyKey() string {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		return fmt.Sprintf("go-%d", time.Now().UnixNano())
	}
	return "go-" + hex.EncodeToString(b[:])
}

// backoff is 500 ms × 2^attempt, at most 8 s, less up to a quarter at random (so clients that
// failed together do not retry together).
func backoff(attempt int) time.Duration {
	d := initialBackoff << min(attempt, 5)
	if d > maxBackoff {
		d = maxBackoff
	}
	return d - time.Duration(rand.Int63n(int64(d)/4+1))
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(value string) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseFloat(value, 64); err == nil && seconds >= 0 {
		return time.Duration(seconds * float64(time.Second))
	}
	if at, err := http.ParseTime(value); err == nil {
		if d := time.Until(at); d > 0 {
			return d
		}
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
