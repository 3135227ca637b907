/*
 * object_io.hpp -- reading and writing one stored object, whatever the store (store.hpp).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pgls
{

/* An object opened for reading, front to back. */
class ObjectReader
{
public:
	virtual ~ObjectReader() = default;
	/* Up to len bytes; 0 at the end. Throws IoError. */
	virtual size_t read(char *buf, size_t len) = 0;
	/* The stored size, as it was when opened. */
	virtual uint64_t size() const = 0;
	/* A path or URL, for messages. */
	virtual const std::string &where() const = 0;
};

/* Where a new object is written before it is published. */
class ObjectWriter
{
public:
	virtual ~ObjectWriter() = default;
	virtual void write(const char *buf, size_t len) = 0;
	/* Overwrites bytes already written (the archive header, written last). */
	virtual void write_at(uint64_t offset, const char *buf, size_t len) = 0;
};

/* An ObjectWriter into memory (an object store uploads it in one request). */
class StringObjectWriter : public ObjectWriter
{
public:
	void
	write(const char *buf, size_t len) override
	{
		data_.append(buf, len);
	}
	void write_at(uint64_t offset, const char *buf, size_t len) override;
	std::string &
	data()
	{
		return data_;
	}

private:
	std::string data_;
};

/* An ObjectReader over bytes in memory; where() names them. */
class StringObjectReader : public ObjectReader
{
public:
	StringObjectReader(std::string data, std::string where)
		: data_(std::move(data)), where_(std::move(where))
	{
	}
	size_t read(char *buf, size_t len) override;
	uint64_t
	size() const override
	{
		return data_.size();
	}
	const std::string &
	where() const override
	{
		return where_;
	}

private:
	std::string data_;
	std::string where_;
	size_t pos_ = 0;
};

} // namespace pgls
