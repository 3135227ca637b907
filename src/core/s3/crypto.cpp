/*
 * crypto.cpp -- SHA-256, HMAC-SHA256 and MD5 through libcrypto, loaded at run time.
 */
#include "../pure.hpp"
#include "crypto.hpp"

#include "dynlib.hpp"
#include "error.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace pgls::s3
{

namespace
{

struct LibCrypto
{
	decltype(&::EVP_Digest) digest;
	decltype(&::EVP_sha256) evp_sha256;
	decltype(&::EVP_md5) evp_md5;
	decltype(&::HMAC) hmac;
};

const LibCrypto &
libcrypto()
{
	static const LibCrypto lib = []
	{
		static const DynLib dl("libcrypto", {"libcrypto.so.3", "libcrypto.so.1.1"},
							   "install libssl3");
		LibCrypto l;
		dl.bind("EVP_Digest", &l.digest);
		dl.bind("EVP_sha256", &l.evp_sha256);
		dl.bind("EVP_md5", &l.evp_md5);
		dl.bind("HMAC", &l.hmac);
		return l;
	}();
	return lib;
}

template <size_t N>
std::array<unsigned char, N>
digest(const void *data, size_t len, const EVP_MD *md, const char *name)
{
	std::array<unsigned char, N> out{};
	unsigned int n = 0;
	if (libcrypto().digest(data, len, out.data(), &n, md, nullptr) != 1 || n != N)
		throw ConfigError(std::string("libcrypto could not compute ") + name);
	return out;
}

} // namespace

Sha256
sha256(const void *data, size_t len)
{
	return digest<32>(data, len, libcrypto().evp_sha256(), "SHA-256");
}

Md5
md5(const void *data, size_t len)
{
	return digest<16>(data, len, libcrypto().evp_md5(), "MD5");
}

Sha256
hmac_sha256(std::string_view key, std::string_view data)
{
	const LibCrypto &lib = libcrypto();
	Sha256 out{};
	unsigned int n = 0;
	if (lib.hmac(lib.evp_sha256(), key.data(), static_cast<int>(key.size()),
				 reinterpret_cast<const unsigned char *>(data.data()), data.size(), out.data(),
				 &n) == nullptr ||
		n != out.size())
		throw ConfigError("libcrypto could not compute HMAC-SHA256");
	return out;
}

std::string
hex(const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	std::string s(len * 2, '0');
	for (size_t i = 0; i < len; i++)
	{
		s[2 * i] = digits[data[i] >> 4];
		s[2 * i + 1] = digits[data[i] & 0xf];
	}
	return s;
}

std::string
base64(const unsigned char *data, size_t len)
{
	static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	std::string s;
	s.reserve((len + 2) / 3 * 4);
	for (size_t i = 0; i < len; i += 3)
	{
		unsigned v = data[i] << 16;
		if (i + 1 < len)
			v |= data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		s += table[(v >> 18) & 63];
		s += table[(v >> 12) & 63];
		s += i + 1 < len ? table[(v >> 6) & 63] : '=';
		s += i + 2 < len ? table[v & 63] : '=';
	}
	return s;
}

std::string
sha256_hex(const void *data, size_t len)
{
	return hex(sha256(data, len));
}

} // namespace pgls::s3
