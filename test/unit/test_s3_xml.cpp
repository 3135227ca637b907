/*
 * test_s3_xml.cpp -- the XML reader, and S3's response documents and headers.
 */
#include "core/s3/responses.hpp"
#include "core/s3/xml.hpp"

#include <gtest/gtest.h>

namespace pgls::s3
{
namespace
{

TEST(S3Xml, ElementsTextAndEntities)
{
	XmlNode r = parse_xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
						  "<!-- c --><a xmlns=\"http://x\" k='v &amp; w'>"
						  "<b>x &amp; y &lt;z&gt; &quot;q&quot; &apos;s&apos;</b>"
						  "<s3:c/><b>&#65;&#x42;&#xe9;&#x20AC;&#x1F600;</b>"
						  "<d><![CDATA[<raw> & ]]></d><!-- c2 --><?pi x?></a>\n");
	EXPECT_EQ(r.name, "a");
	ASSERT_EQ(r.children.size(), 4u);
	EXPECT_EQ(r.child_text("b"), "x & y <z> \"q\" 's'");
	EXPECT_EQ(r.all("b")[1]->text, "AB\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
	EXPECT_NE(r.child("c"), nullptr); /* namespace prefix dropped */
	EXPECT_EQ(r.child_text("d"), "<raw> & ");
	EXPECT_EQ(r.child("none"), nullptr);
	EXPECT_EQ(r.child_text("none"), "");
}

TEST(S3Xml, RefusesMalformed)
{
	for (const char *bad :
		 {"", "text", "<a>", "<a></b>", "<a><b></a></b>", "<a>&foo;</a>", "<a>&#0;</a>",
		  "<a>&#x110000;</a>", "<a>&#xD800;</a>", "<a>&amp</a>", "<a></a><b></b>", "<a></a>junk",
		  "<!DOCTYPE a><a/>", "<a><!ENTITY x 'y'></a>", "<a k=v></a>", "<a k='<'></a>",
		  "<a><![CDATA[x</a>", "<a><!-- x</a>"})
		EXPECT_THROW(parse_xml(bad), XmlError) << bad;
	std::string deep;
	for (int i = 0; i < 40; i++)
		deep += "<a>";
	for (int i = 0; i < 40; i++)
		deep += "</a>";
	EXPECT_THROW(parse_xml(deep), XmlError);
	try
	{
		parse_xml("<a></b>");
	}
	catch (const XmlError &e)
	{
		EXPECT_STREQ(e.what(), "malformed XML at byte 6: </b> closes <a>");
	}
}

TEST(S3Xml, Escape)
{
	EXPECT_EQ(xml_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	EXPECT_EQ(parse_xml("<k>" + xml_escape("x<&>'\"y") + "</k>").text, "x<&>'\"y");
}

TEST(S3Responses, ErrorBody)
{
	S3ErrorBody e = parse_error_body(
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
		"<Message>The specified bucket does not exist</Message><BucketName>x</BucketName>"
		"<RequestId>tx1</RequestId></Error>");
	EXPECT_EQ(e.code, "NoSuchBucket");
	EXPECT_EQ(e.message, "The specified bucket does not exist");
	e = parse_error_body("<html><body>502 Bad Gateway</body></html>");
	EXPECT_EQ(e.code, "");
	e = parse_error_body("not xml at all");
	EXPECT_EQ(e.code, "");
	EXPECT_EQ(parse_error_body("").code, "");
}

TEST(S3Responses, ListResult)
{
	Client::Page p = parse_list_result(
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>b</Name><Prefix>p/</Prefix><MaxKeys>2</MaxKeys><KeyCount>3</KeyCount>"
		"<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
		"NextContinuationToken>"
		"<Contents><Key>p/a&amp;b</Key><LastModified>2024-01-02T03:04:05.678Z</LastModified>"
		"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>16777216</Size>"
		"<StorageClass>STANDARD</StorageClass></Contents>"
		"<Contents><Key>p/c</Key><LastModified>2024-01-02T03:04:06Z</LastModified>"
		"<ETag>\"x\"</ETag><Size>0</Size></Contents>"
		"<CommonPrefixes><Prefix>p/wal/</Prefix></CommonPrefixes>"
		"</ListBucketResult>");
	ASSERT_EQ(p.objects.size(), 2u);
	EXPECT_EQ(p.objects[0].key, "p/a&b");
	EXPECT_EQ(p.objects[0].size, 16777216u);
	EXPECT_EQ(p.objects[0].mtime, 1704164645);
	EXPECT_EQ(p.objects[0].etag, "\"9b2cf535f27731c974343645a3985328\"");
	EXPECT_EQ(p.objects[1].size, 0u);
	EXPECT_EQ(p.objects[1].mtime, 1704164646);
	ASSERT_EQ(p.prefixes.size(), 1u);
	EXPECT_EQ(p.prefixes[0], "p/wal/");
	EXPECT_EQ(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

	Client::Page last = parse_list_result(
		"<ListBucketResult><IsTruncated>false</IsTruncated>"
		"<NextContinuationToken>ignored</NextContinuationToken></ListBucketResult>");
	EXPECT_TRUE(last.objects.empty());
	EXPECT_EQ(last.next_token, "");

	EXPECT_THROW(parse_list_result("<Error><Code>x</Code></Error>"), XmlError);
	EXPECT_THROW(parse_list_result("<ListBucketResult><IsTruncated>true</IsTruncated>"
								   "</ListBucketResult>"),
				 XmlError);
	EXPECT_THROW(parse_list_result("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
								   "</Contents></ListBucketResult>"),
				 XmlError);
	EXPECT_THROW(parse_list_result("<ListBucketResult><Contents><Size>1</Size>"
								   "</Contents></ListBucketResult>"),
				 XmlError);
}

TEST(S3Responses, DeleteResultAndRequest)
{
	auto failed = parse_delete_result(
		"<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Deleted><Key>ok</Key></Deleted>"
		"<Error><Key>k1</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
		"<Error><Key>k2</Key><Code>InternalError</Code></Error></DeleteResult>");
	ASSERT_EQ(failed.size(), 2u);
	EXPECT_EQ(failed[0],
			  std::make_pair(std::string("k1"), std::string("AccessDenied: Access Denied")));
	EXPECT_EQ(failed[1], std::make_pair(std::string("k2"), std::string("InternalError")));
	EXPECT_TRUE(parse_delete_result("<DeleteResult/>").empty());
	EXPECT_THROW(parse_delete_result("<Error/>"), XmlError);

	std::vector<std::string> keys = {"a", "b&<c>"};
	std::string body = delete_request_body(keys.begin(), keys.end());
	XmlNode d = parse_xml(body);
	EXPECT_EQ(d.name, "Delete");
	EXPECT_EQ(d.child_text("Quiet"), "true");
	ASSERT_EQ(d.all("Object").size(), 2u);
	EXPECT_EQ(d.all("Object")[1]->child_text("Key"), "b&<c>");
}

TEST(S3Responses, Dates)
{
	EXPECT_EQ(parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), 1445412480);
	EXPECT_EQ(parse_http_date("Wed, 21 Oct 2015 07:28:00 UTC"), -1);
	EXPECT_EQ(parse_http_date("Wed, 21 Foo 2015 07:28:00 GMT"), -1);
	EXPECT_EQ(parse_http_date(""), -1);
	EXPECT_EQ(parse_iso8601("2015-10-21T07:28:00.000Z"), 1445412480);
	EXPECT_EQ(parse_iso8601("2015-10-21T07:28:00Z"), 1445412480);
	EXPECT_EQ(parse_iso8601("2015-10-21T07:28:00"), -1);
	EXPECT_EQ(parse_iso8601("2015-13-21T07:28:00Z"), -1);
	EXPECT_EQ(parse_iso8601("2015-10-21T07:28:00.000Zjunk"), -1);
}

TEST(S3Responses, InfoFromHeaders)
{
	std::map<std::string, std::string> h = {
		{"content-length", "443"},   {"last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"},
		{"etag", "\"abc\""},         {"x-amz-meta-pgls-size", "16777216"},
		{"x-amz-meta-xxh3", "00ff"}, {"x-amz-request-id", "tx"}};
	ObjectInfo i;
	ASSERT_TRUE(info_from_headers(h, 200, i));
	EXPECT_EQ(i.size, 443u);
	EXPECT_EQ(i.mtime, 1445412480);
	EXPECT_EQ(i.etag, "\"abc\"");
	EXPECT_EQ(i.metadata.size(), 2u);
	EXPECT_EQ(i.metadata["pgls-size"], "16777216");
	EXPECT_EQ(i.metadata["xxh3"], "00ff");

	h["content-length"] = "10";
	h["content-range"] = "bytes 0-9/443";
	ASSERT_TRUE(info_from_headers(h, 206, i));
	EXPECT_EQ(i.size, 443u);
	h["content-range"] = "bytes 0-9/*";
	EXPECT_FALSE(info_from_headers(h, 206, i));
	h.erase("content-length");
	EXPECT_FALSE(info_from_headers(h, 200, i));
}

} // namespace
} // namespace pgls::s3
