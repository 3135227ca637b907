/*
 * xml.hpp -- a small, strict XML reader for S3's responses, and escaping for its requests.
 *
 * S3 answers with tiny documents of a fixed shape (ListBucketResult, DeleteResult, Error). A
 * hand-written reader is enough and unit-tested; libxml2 (loaded at run time like libcurl) would
 * be a third library to find and load for three documents, and brings DTDs and external entities
 * that a response never needs. The reader takes elements, attributes (read and dropped), text,
 * CDATA, comments and processing instructions; it decodes the five predefined entities and
 * numeric character references; it refuses DOCTYPEs, unknown entities, mismatched or unclosed
 * tags, text outside the root and nesting deeper than 32 (XmlError says where). Element names
 * lose their namespace prefix.
 */
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pgls::s3
{

class XmlError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

struct XmlNode
{
	std::string name; /* local name */
	std::string text; /* the element's own text (its children's not included) */
	std::vector<XmlNode> children;

	/* The first child named name, or nullptr. */
	const XmlNode *child(std::string_view name) const;
	/* The text of the first child named name; empty when there is none. */
	std::string child_text(std::string_view name) const;
	/* All children named name, in order. */
	std::vector<const XmlNode *> all(std::string_view name) const;
};

/* The root element of doc. */
XmlNode parse_xml(std::string_view doc);

/* Text with & < > " ' escaped, for element content and attribute values. */
std::string xml_escape(std::string_view text);

} // namespace pgls::s3
