/*
 * test_s3_gateway_bucket.cpp -- listing, batch delete and host-style addressing against the
 * gateway.
 *
 * Against a real Ceph RADOS Gateway: see gateway.hpp.
 */
#include "gateway.hpp"

#include <algorithm>

namespace pgls::s3::gateway_test
{
namespace
{

TEST_F(Gateway, ListingPagesAndDelimiter)
{
	Client s3 = client();
	std::vector<std::string> keys;
	for (int i = 0; i < 7; i++)
		keys.push_back(s3.key("a/" + std::to_string(i)));
	for (int i = 0; i < 3; i++)
		keys.push_back(s3.key("b/" + std::to_string(i)));
	keys.push_back(s3.key("top"));
	for (const std::string &k : keys)
		ASSERT_EQ(s3.put_if_absent(k, k.data(), k.size()), PutOutcome::Created);
	std::sort(keys.begin(), keys.end());

	/* pages of 3: 11 keys in 4 pages, each with a token but the last */
	std::vector<std::string> listed;
	std::string token;
	int pages = 0;
	do
	{
		Client::Page p = s3.list_page(s3.key(""), token, "", 3);
		pages++;
		EXPECT_LE(p.objects.size(), 3u);
		for (const ObjectInfo &o : p.objects)
		{
			listed.push_back(o.key);
			EXPECT_EQ(o.size, o.key.size());
			EXPECT_GT(o.mtime, 0);
		}
		token = p.next_token;
	} while (!token.empty() && pages < 10);
	EXPECT_EQ(pages, 4);
	EXPECT_EQ(listed, keys);

	std::vector<std::string> all;
	for (const ObjectInfo &o : s3.list_all(s3.key("a/")))
		all.push_back(o.key);
	EXPECT_EQ(all, std::vector<std::string>(keys.begin(), keys.begin() + 7));

	Client::Page d = s3.list_page(s3.key(""), "", "/");
	EXPECT_EQ(d.prefixes, (std::vector<std::string>{s3.key("a/"), s3.key("b/")}));
	ASSERT_EQ(d.objects.size(), 1u);
	EXPECT_EQ(d.objects[0].key, s3.key("top"));
	EXPECT_TRUE(d.next_token.empty());
	EXPECT_TRUE(s3.list_all(s3.key("nothing/")).empty());
}

TEST_F(Gateway, BatchDelete)
{
	Client s3 = client();
	/* 1500 keys: two batches (1000 + 500); most do not exist, which S3 counts as deleted */
	std::vector<std::string> keys;
	for (int i = 0; i < 1500; i++)
		keys.push_back(s3.key("d/" + std::to_string(10000 + i)));
	for (int i : {0, 1, 999, 1000, 1499})
		ASSERT_EQ(s3.put_if_absent(keys[i], "x", 1), PutOutcome::Created);
	const std::string keep = s3.key("keep");
	ASSERT_EQ(s3.put_if_absent(keep, "k", 1), PutOutcome::Created);
	ASSERT_EQ(s3.list_all(s3.key("d/")).size(), 5u);

	auto failed = s3.delete_objects(keys);
	EXPECT_TRUE(failed.empty()) << failed.front().first << ": " << failed.front().second;
	EXPECT_TRUE(s3.list_all(s3.key("d/")).empty());
	EXPECT_TRUE(s3.head(keep).has_value());
	EXPECT_TRUE(s3.delete_objects({}).empty());
	/* deleting again is no error */
	EXPECT_TRUE(s3.delete_objects({keys[0]}).empty());
}

TEST_F(Gateway, HostStyleAddressing)
{
	if (env("PGLS_S3_HOST_ENDPOINT").empty())
		GTEST_SKIP() << "PGLS_S3_HOST_ENDPOINT is not set";
	Config c = config();
	c.endpoint = env("PGLS_S3_HOST_ENDPOINT"); /* http://localhost:PORT: BUCKET.localhost */
	c.uri_style = UriStyle::Host;
	Client s3 = client(c);
	const std::string body = pattern(70000, 8);
	ASSERT_EQ(s3.put_if_absent(s3.key("h/x y+z"), body.data(), body.size(), {{"k", "v"}}),
			  PutOutcome::Created);
	EXPECT_EQ(s3.put_if_absent(s3.key("h/x y+z"), "x", 1), PutOutcome::AlreadyExists);
	EXPECT_TRUE(s3.get(s3.key("h/x y+z")).value() == body);
	EXPECT_EQ(s3.head(s3.key("h/x y+z"))->metadata.at("k"), "v");
	auto listed = s3.list_all(s3.key("h/"));
	ASSERT_EQ(listed.size(), 1u);
	EXPECT_EQ(listed[0].key, s3.key("h/x y+z"));
	EXPECT_TRUE(s3.delete_objects({s3.key("h/x y+z")}).empty());
	/* the same object through path-style addressing is gone too */
	EXPECT_FALSE(client().head(s3.key("h/x y+z")).has_value());
}

} // namespace
} // namespace pgls::s3::gateway_test
