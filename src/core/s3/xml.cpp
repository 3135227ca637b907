/*
 * xml.cpp -- a small, strict XML reader (see xml.hpp).
 */
#include "../pure.hpp"
#include "xml.hpp"

#include <cctype>
#include <cstdint>

namespace pgls::s3
{

namespace
{

constexpr int max_depth = 32;

bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool
is_name_char(char c)
{
	unsigned char u = static_cast<unsigned char>(c);
	return std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == ':' || u >= 0x80;
}

void
append_utf8(std::string &out, uint32_t cp)
{
	if (cp < 0x80)
		out += static_cast<char>(cp);
	else if (cp < 0x800)
	{
		out += static_cast<char>(0xC0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
	else if (cp < 0x10000)
	{
		out += static_cast<char>(0xE0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
	else
	{
		out += static_cast<char>(0xF0 | (cp >> 18));
		out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
}

class Reader
{
public:
	explicit Reader(std::string_view doc) : s_(doc) {}

	XmlNode
	document()
	{
		if (s_.substr(0, 3) == "\xEF\xBB\xBF")
			pos_ = 3;
		skip_misc();
		if (at_end() || s_[pos_] != '<')
			fail("expected the root element");
		XmlNode root = element(1);
		skip_misc();
		if (!at_end())
			fail("unexpected content after the root element");
		return root;
	}

private:
	[[noreturn]] void
	fail(const std::string &why) const
	{
		throw XmlError("malformed XML at byte " + std::to_string(pos_) + ": " + why);
	}
	bool
	at_end() const
	{
		return pos_ >= s_.size();
	}
	bool
	starts(std::string_view p) const
	{
		return s_.substr(pos_, p.size()) == p;
	}
	void
	skip_spaces()
	{
		while (!at_end() && is_space(s_[pos_]))
			pos_++;
	}
	void
	skip_past(std::string_view end, const char *what)
	{
		size_t at = s_.find(end, pos_);
		if (at == std::string_view::npos)
			fail(std::string("unterminated ") + what);
		pos_ = at + end.size();
	}
	/* Whitespace, comments and processing instructions (the declaration among them). */
	void
	skip_misc()
	{
		for (;;)
		{
			skip_spaces();
			if (starts("<?"))
				skip_past("?>", "processing instruction");
			else if (starts("<!--"))
				skip_past("-->", "comment");
			else if (starts("<!"))
				fail("DOCTYPE and other declarations are not accepted");
			else
				return;
		}
	}
	std::string
	name()
	{
		size_t b = pos_;
		while (!at_end() && is_name_char(s_[pos_]))
			pos_++;
		if (pos_ == b)
			fail("expected a name");
		return std::string(s_.substr(b, pos_ - b));
	}
	/* Decodes the entity at pos_ ('&') into out. */
	void
	entity(std::string &out)
	{
		size_t semi = s_.find(';', pos_);
		if (semi == std::string_view::npos || semi - pos_ > 12)
			fail("unterminated entity");
		std::string_view e = s_.substr(pos_ + 1, semi - pos_ - 1);
		if (e == "amp")
			out += '&';
		else if (e == "lt")
			out += '<';
		else if (e == "gt")
			out += '>';
		else if (e == "quot")
			out += '"';
		else if (e == "apos")
			out += '\'';
		else if (e.size() >= 2 && e[0] == '#')
		{
			bool hexa = e[1] == 'x';
			std::string_view digits = e.substr(hexa ? 2 : 1);
			if (digits.empty())
				fail("empty character reference");
			uint32_t cp = 0;
			for (char c : digits)
			{
				int d;
				if (c >= '0' && c <= '9')
					d = c - '0';
				else if (hexa && c >= 'a' && c <= 'f')
					d = c - 'a' + 10;
				else if (hexa && c >= 'A' && c <= 'F')
					d = c - 'A' + 10;
				else
					fail("bad character reference");
				cp = cp * (hexa ? 16 : 10) + static_cast<uint32_t>(d);
				if (cp > 0x10FFFF)
					fail("character reference out of range");
			}
			if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
				fail("character reference out of range");
			append_utf8(out, cp);
		}
		else
			fail("unknown entity &" + std::string(e) + ";");
		pos_ = semi + 1;
	}
	std::string
	attribute_value()
	{
		if (at_end() || (s_[pos_] != '"' && s_[pos_] != '\''))
			fail("expected a quoted attribute value");
		char q = s_[pos_++];
		std::string v;
		while (!at_end() && s_[pos_] != q)
		{
			if (s_[pos_] == '<')
				fail("'<' in an attribute value");
			if (s_[pos_] == '&')
				entity(v);
			else
				v += s_[pos_++];
		}
		if (at_end())
			fail("unterminated attribute value");
		pos_++;
		return v;
	}
	static std::string
	local(const std::string &qname)
	{
		size_t colon = qname.find(':');
		return colon == std::string::npos ? qname : qname.substr(colon + 1);
	}
	XmlNode
	element(int depth)
	{
		if (depth > max_depth)
			fail("elements nested too deep");
		pos_++; /* '<' */
		const std::string qname = name();
		XmlNode node;
		node.name = local(qname);
		for (;;)
		{
			skip_spaces();
			if (at_end())
				fail("unterminated start tag <" + qname + ">");
			if (starts("/>"))
			{
				pos_ += 2;
				return node;
			}
			if (s_[pos_] == '>')
			{
				pos_++;
				break;
			}
			name();
			skip_spaces();
			if (at_end() || s_[pos_] != '=')
				fail("expected '=' after an attribute name");
			pos_++;
			skip_spaces();
			attribute_value();
		}
		/* Content. */
		for (;;)
		{
			if (at_end())
				fail("unclosed element <" + qname + ">");
			char c = s_[pos_];
			if (c == '&')
				entity(node.text);
			else if (c != '<')
				node.text += s_[pos_++];
			else if (starts("</"))
			{
				pos_ += 2;
				std::string end = name();
				skip_spaces();
				if (end != qname)
					fail("</" + end + "> closes <" + qname + ">");
				if (at_end() || s_[pos_] != '>')
					fail("expected '>'");
				pos_++;
				return node;
			}
			else if (starts("<![CDATA["))
			{
				size_t b = pos_ + 9;
				skip_past("]]>", "CDATA section");
				node.text.append(s_.substr(b, pos_ - 3 - b));
			}
			else if (starts("<!--"))
				skip_past("-->", "comment");
			else if (starts("<?"))
				skip_past("?>", "processing instruction");
			else if (starts("<!"))
				fail("declarations are not accepted inside elements");
			else
				node.children.push_back(element(depth + 1));
		}
	}

	std::string_view s_;
	size_t pos_ = 0;
};

} // namespace

const XmlNode *
XmlNode::child(std::string_view n) const
{
	for (const XmlNode &c : children)
		if (c.name == n)
			return &c;
	return nullptr;
}

std::string
XmlNode::child_text(std::string_view n) const
{
	const XmlNode *c = child(n);
	return c ? c->text : std::string();
}

std::vector<const XmlNode *>
XmlNode::all(std::string_view n) const
{
	std::vector<const XmlNode *> out;
	for (const XmlNode &c : children)
		if (c.name == n)
			out.push_back(&c);
	return out;
}

XmlNode
parse_xml(std::string_view doc)
{
	return Reader(doc).document();
}

std::string
xml_escape(std::string_view text)
{
	std::string out;
	out.reserve(text.size());
	for (char c : text)
	{
		switch (c)
		{
			case '&':
				out += "&amp;";
				break;
			case '<':
				out += "&lt;";
				break;
			case '>':
				out += "&gt;";
				break;
			case '"':
				out += "&quot;";
				break;
			case '\'':
				out += "&apos;";
				break;
			default:
				out += c;
		}
	}
	return out;
}

} // namespace pgls::s3
