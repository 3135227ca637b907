/*
 * test_s3_sigv4.cpp -- Signature V4 against AWS's published examples, and the hashes under it.
 *
 * Vectors: AWS's SigV4 test suite (service "service", AKIDEXAMPLE, 2015-08-30T12:36:00Z) and
 * the examples of "Signature Calculations for the Authorization Header" in the S3 API reference
 * (examplebucket, AKIAIOSFODNN7EXAMPLE, 2013-05-24).
 */
#include "core/s3/crypto.hpp"
#include "core/s3/sigv4.hpp"

#include <gtest/gtest.h>

namespace pgls::s3
{
namespace
{

const std::string empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* The test suite's requests: host and x-amz-date only. */
SignOutput
suite(const std::string &method, const Params &query)
{
	SignInput in{method,
				 "/",
				 query,
				 {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
				 empty_hash};
	return sign_v4(in, "20150830T123600Z", "us-east-1", "service", "AKIDEXAMPLE",
				   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
}

const std::string s3_access = "AKIAIOSFODNN7EXAMPLE";
const std::string s3_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

SignOutput
s3_example(const std::string &method, const std::string &uri, const Params &query, Params headers,
		   const std::string &payload_hash)
{
	headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
	headers.emplace_back("x-amz-date", "20130524T000000Z");
	headers.emplace_back("x-amz-content-sha256", payload_hash);
	return sign_v4({method, uri, query, headers, payload_hash}, "20130524T000000Z", "us-east-1",
				   "s3", s3_access, s3_secret);
}

TEST(S3Crypto, Hashes)
{
	EXPECT_EQ(sha256_hex("", 0), empty_hash);
	EXPECT_EQ(sha256_hex("abc", 3),
			  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2 */
	EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
			  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	EXPECT_EQ(hex(md5("", 0)), "d41d8cd98f00b204e9800998ecf8427e");
	Md5 m = md5("abc", 3);
	EXPECT_EQ(base64(m.data(), m.size()), "kAFQmDzST7DWlj99KOF/cg==");
	const unsigned char b[] = {'f', 'o', 'o', 'b', 'a', 'r'};
	EXPECT_EQ(base64(b, 0), "");
	EXPECT_EQ(base64(b, 1), "Zg==");
	EXPECT_EQ(base64(b, 2), "Zm8=");
	EXPECT_EQ(base64(b, 3), "Zm9v");
	EXPECT_EQ(base64(b, 6), "Zm9vYmFy");
}

TEST(S3SigV4, SuiteGetVanilla)
{
	SignOutput s = suite("GET", {});
	EXPECT_EQ(s.canonical_request, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:"
								   "20150830T123600Z\n\nhost;x-amz-date\n" +
									   empty_hash);
	EXPECT_EQ(s.authorization,
			  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
			  "SignedHeaders=host;x-amz-date, "
			  "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(S3SigV4, SuitePostVanilla)
{
	EXPECT_EQ(suite("POST", {}).signature,
			  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(S3SigV4, SuiteQueryIsSorted)
{
	/* get-vanilla-query-order-key-case */
	SignOutput s = suite("GET", {{"Param2", "value2"}, {"Param1", "value1"}});
	EXPECT_NE(s.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
	EXPECT_EQ(s.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
	/* get-vanilla-query-order-key: same name, sorted by value */
	EXPECT_EQ(suite("GET", {{"Param1", "value2"}, {"Param1", "Value1"}}).signature,
			  "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
	/* get-vanilla-query-order-encoded: sorted on the encoded names */
	SignOutput e =
		suite("GET", {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xE1\x88\xB4", "Value1"}});
	EXPECT_NE(e.canonical_request.find("\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"),
			  std::string::npos);
	EXPECT_EQ(e.signature, "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac");
}

TEST(S3SigV4, S3GetObjectWithRange)
{
	SignOutput s = s3_example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, empty_hash);
	EXPECT_EQ(s.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
	EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(S3SigV4, S3PutObject)
{
	const std::string body = "Welcome to Amazon S3.";
	const std::string hash = sha256_hex(body.data(), body.size());
	EXPECT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	/* the key "test$file.text": '$' is encoded in the path */
	SignOutput s = s3_example(
		"PUT", "/" + uri_encode("test$file.text", true), {},
		{{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
		hash);
	EXPECT_EQ(sha256_hex(s.canonical_request.data(), s.canonical_request.size()),
			  "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
	EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(S3SigV4, S3GetBucketLifecycleValuelessParameter)
{
	SignOutput s = s3_example("GET", "/", {{"lifecycle", ""}}, {}, empty_hash);
	EXPECT_NE(s.canonical_request.find("\nlifecycle=\n"), std::string::npos);
	EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(S3SigV4, S3ListObjects)
{
	SignOutput s = s3_example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, empty_hash);
	EXPECT_EQ(sha256_hex(s.canonical_request.data(), s.canonical_request.size()),
			  "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
	EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(S3SigV4, HeaderValuesTrimmedAndRepeatedNamesJoined)
{
	SignInput in{
		"GET",
		"/",
		{},
		{{"My-Header1", "  a   b   c  "}, {"Host", "h"}, {"my-header2", "x"}, {"MY-HEADER2", "y"}},
		empty_hash};
	SignOutput s = sign_v4(in, "20150830T123600Z", "us-east-1", "service", "A", "S");
	EXPECT_EQ(s.canonical_request,
			  "GET\n/\n\nhost:h\nmy-header1:a b c\nmy-header2:x,y\n\nhost;my-header1;my-header2\n" +
				  empty_hash);
}

TEST(S3SigV4, UriEncode)
{
	EXPECT_EQ(uri_encode("-._~AZaz09", false), "-._~AZaz09");
	EXPECT_EQ(uri_encode("a b/c+d=e&f", false), "a%20b%2Fc%2Bd%3De%26f");
	EXPECT_EQ(uri_encode("wal/0001 x", true), "wal/0001%20x");
	EXPECT_EQ(uri_encode("\xC3\xA9", true), "%C3%A9");
	EXPECT_EQ(canonical_query({{"prefix", "a/b"}, {"list-type", "2"}, {"delimiter", "/"}}),
			  "delimiter=%2F&list-type=2&prefix=a%2Fb");
}

TEST(S3SigV4, AmzDate)
{
	EXPECT_EQ(amz_date(1369353600), "20130524T000000Z");
	EXPECT_EQ(amz_date(1440938160), "20150830T123600Z");
}

} // namespace
} // namespace pgls::s3
