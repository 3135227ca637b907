/*
 * crypto.hpp -- the hashes the S3 client needs: SHA-256 and HMAC-SHA256 (Signature V4, the
 * payload hash of every request), MD5 (Content-MD5, which DeleteObjects requires), and their
 * hex and base64 forms.
 *
 * They come from OpenSSL's libcrypto, loaded at run time on first use (dynlib.hpp); a missing
 * libcrypto throws ConfigError. Thread-safe.
 */
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace pgls::s3
{

using Sha256 = std::array<unsigned char, 32>;
using Md5 = std::array<unsigned char, 16>;

Sha256 sha256(const void *data, size_t len);
Sha256 hmac_sha256(std::string_view key, std::string_view data);
Md5 md5(const void *data, size_t len);

/* Lower-case hex. */
std::string hex(const unsigned char *data, size_t len);
template <size_t N>
std::string
hex(const std::array<unsigned char, N> &digest)
{
	return hex(digest.data(), N);
}
/* Standard base64 with padding. */
std::string base64(const unsigned char *data, size_t len);

/* Hex SHA-256 of data: the x-amz-content-sha256 of a body. */
std::string sha256_hex(const void *data, size_t len);

} // namespace pgls::s3
