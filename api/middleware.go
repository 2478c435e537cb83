package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries a request's id in and out.
const RequestIDHeader = "X-Request-Id"

const requestIDKey = "request_id"

// ErrorBody is the one shape of every error bcflow's API returns.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong, in a stable code and a human message.
type ErrorDetail struct {
	// Code is stable and machine-readable (snake_case).
	Code string `json:"code"`
	// Message explains the problem to a person.
	Message string `json:"message"`
	// RequestID ties the error to the server's log line.
	RequestID string `json:"request_id,omitempty"`
}

// errorCodeKey holds the code of the error a request was answered with
// (the outcome the webhook metrics count).
const errorCodeKey = "error_code"

// AbortError ends the request with status and an ErrorBody.
func AbortError(c *gin.Context, status int, code, message string) {
	c.Set(errorCodeKey, code)
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, RequestID: c.GetString(requestIDKey)}})
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID keeps a caller's sane X-Request-Id or makes a new one, and
// echoes it on the response.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header(RequestIDHeader, id)
		c.Next()
	}
}

// accessLog writes one structured line per request. It logs the path, never
// the query string or headers, which may carry secrets.
func accessLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		logger.Log(c.Request.Context(), level, "http request",
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"bytes", c.Writer.Size(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"request_id", c.GetString(requestIDKey),
		)
	}
}

// recoverJSON turns a handler panic into a logged 500 with a JSON body.
func recoverJSON(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				logger.ErrorContext(c.Request.Context(), "handler panic", "panic", r, "request_id", c.GetString(requestIDKey))
				AbortError(c, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		c.Next()
	}
}

// limitBody caps the request body; reading past the cap fails with
// *http.MaxBytesError, which handlers turn into 413 with ReadBody.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			AbortError(c, http.StatusRequestEntityTooLarge, "body_too_large", "request body exceeds the limit")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

// ReadBody reads the whole (size-limited) body; on failure it has already
// answered 413 or 400 and returns ok=false.
func ReadBody(c *gin.Context) (body []byte, ok bool) {
	body, err := c.GetRawData()
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			AbortError(c, http.StatusRequestEntityTooLarge, "body_too_large", "request body exceeds the limit")
			return nil, false
		}
		AbortError(c, http.StatusBadRequest, "bad_body", "could not read request body")
		return nil, false
	}
	return body, true
}
