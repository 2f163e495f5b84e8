package s3

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// DefaultPartSize is the multipart upload part size used when Config.PartSize
// is zero. Blobs up to this size are uploaded in a single request.
const DefaultPartSize = 16 << 20

// MinPartSize is the smallest part size S3 accepts.
const MinPartSize = 5 << 20

// Config says where a Store keeps its blobs and how to reach it.
type Config struct {
	Bucket    string // must exist
	Prefix    string // key prefix, e.g. "dagdeck" for keys "dagdeck/blobs/…"; may be empty
	Endpoint  string // host[:port]; empty means AWS S3 (s3.amazonaws.com)
	Region    string // empty lets the client discover it
	AccessKey string // empty with SecretKey for anonymous access
	SecretKey string
	UseSSL    bool   // https; ConfigFromURL sets it unless insecure=true or the endpoint is http://
	PartSize  uint64 // multipart part size; 0 means DefaultPartSize, else at least MinPartSize
}

// ConfigFromURL parses an artifacts URL of the form
//
//	s3://bucket/prefix?endpoint=host:port&region=us-east-1&insecure=true
//
// endpoint may also be a URL ("http://host:port"), whose scheme then decides
// UseSSL. Unset values default to the environment: AWS_ENDPOINT_URL,
// AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY. Credentials are never read from the URL.
func ConfigFromURL(rawURL string) (Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Config{}, fmt.Errorf("parse s3 url: %w", err)
	}
	if u.Scheme != "s3" {
		return Config{}, fmt.Errorf("parse s3 url %q: scheme must be s3", rawURL)
	} else if u.Host == "" {
		return Config{}, fmt.Errorf("parse s3 url %q: no bucket; want s3://bucket/prefix", rawURL)
	} else if u.User != nil {
		return Config{}, fmt.Errorf("parse s3 url: credentials in the url are not supported; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}

	c := Config{
		Bucket:    u.Host,
		Prefix:    strings.Trim(u.Path, "/"),
		Region:    firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")),
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		UseSSL:    true,
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	for key, values := range u.Query() {
		v := values[len(values)-1]
		switch key {
		case "endpoint":
			endpoint = v
		case "region":
			c.Region = v
		case "insecure":
			insecure, err := strconv.ParseBool(v)
			if err != nil {
				return Config{}, fmt.Errorf("parse s3 url: insecure=%q: want true or false", v)
			}
			c.UseSSL = !insecure
		default:
			return Config{}, fmt.Errorf("parse s3 url: unknown parameter %q; want endpoint, region or insecure", key)
		}
	}
	if err := c.setEndpoint(endpoint); err != nil {
		return Config{}, err
	}
	return c, nil
}

// setEndpoint sets Endpoint from "host:port" or "http(s)://host:port", in
// which case the scheme also decides UseSSL.
func (c *Config) setEndpoint(endpoint string) error {
	if !strings.Contains(endpoint, "://") {
		c.Endpoint = endpoint
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("parse s3 endpoint: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("parse s3 endpoint %q: scheme must be http or https", endpoint)
	case u.Host == "" || strings.Trim(u.Path, "/") != "":
		return fmt.Errorf("parse s3 endpoint %q: want scheme://host[:port] without a path", endpoint)
	}
	c.Endpoint = u.Host
	c.UseSSL = c.UseSSL && u.Scheme == "https"
	return nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
