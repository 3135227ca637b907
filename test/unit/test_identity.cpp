/*
 * test_identity.cpp -- server name claims: the record, the rules, the store, the instance file,
 * the default name.
 */
#include "core/archive_writer.hpp"
#include "core/claim_store.hpp"
#include "core/fs_store.hpp"
#include "core/fileio.hpp"
#include "core/identity.hpp"
#include "core/instance_file.hpp"
#include "fixtures.hpp"

#include <atomic>
#include <map>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace pgls
{
namespace
{

using test::TempDir;

ServerIdentity
server(const std::string &host, const std::string &dir, const std::string &instance,
	   uint64_t sysid = 7300000000000000001ull)
{
	ServerIdentity s;
	s.name = "db-15_main";
	s.system_identifier = sysid;
	s.host = host;
	s.machine_id = host == "db1" ? "0123456789abcdef0123456789abcdef" : "";
	s.data_directory = dir;
	s.port = 5432;
	s.instance_id = instance;
	return s;
}

const ServerIdentity kFirst = server("db1", "/var/lib/postgresql/15/main", "00000000000000a1");

std::string
slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ClaimRecord, FormatIsKeyValueLines)
{
	EXPECT_EQ(format_claim(ClaimRecord{kFirst, 1714564800}),
			  "pg_logship_claim=1\n"
			  "server_name=db-15_main\n"
			  "system_identifier=7300000000000000001\n"
			  "host=db1\n"
			  "machine_id=0123456789abcdef0123456789abcdef\n"
			  "data_directory=/var/lib/postgresql/15/main\n"
			  "port=5432\n"
			  "instance_id=00000000000000a1\n"
			  "claimed_at=1714564800\n");
	EXPECT_EQ(claim_path("db-15_main"), "claims/db-15_main");
}

TEST(ClaimRecord, RoundTrip)
{
	ServerIdentity s = kFirst;
	s.data_directory = "/srv/pg=data/main"; /* '=' in a value is kept */
	auto c = parse_claim(format_claim(ClaimRecord{s, 42}));
	ASSERT_TRUE(c.has_value());
	EXPECT_EQ(c->server.name, s.name);
	EXPECT_EQ(c->server.system_identifier, s.system_identifier);
	EXPECT_EQ(c->server.host, s.host);
	EXPECT_EQ(c->server.machine_id, s.machine_id);
	EXPECT_EQ(c->server.data_directory, s.data_directory);
	EXPECT_EQ(c->server.port, 5432);
	EXPECT_EQ(c->server.instance_id, s.instance_id);
	EXPECT_EQ(c->claimed_at, 42);
}

TEST(ClaimRecord, IgnoresUnknownKeysAndKeepsOptionalOnesOptional)
{
	std::string text = format_claim(ClaimRecord{kFirst, 1});
	auto c = parse_claim(text + "added_later=x\n\n");
	ASSERT_TRUE(c.has_value());
	EXPECT_EQ(c->server.instance_id, kFirst.instance_id);

	std::string no_port = text;
	no_port.erase(no_port.find("port=5432\n"), 10);
	c = parse_claim(no_port);
	ASSERT_TRUE(c.has_value());
	EXPECT_EQ(c->server.port, 0);
}

TEST(ClaimRecord, RefusesWhatIsNotAClaim)
{
	std::string good = format_claim(ClaimRecord{kFirst, 1});
	auto without = [&good](const std::string &line)
	{
		std::string t = good;
		t.erase(t.find(line), line.size());
		return t;
	};
	auto replaced = [&good](const std::string &from, const std::string &to)
	{
		std::string t = good;
		t.replace(t.find(from), from.size(), to);
		return t;
	};
	std::map<std::string, std::string> bad = {
		{"empty", ""},
		{"no magic", without("pg_logship_claim=1\n")},
		{"version 2", replaced("pg_logship_claim=1", "pg_logship_claim=2")},
		{"no name", without("server_name=db-15_main\n")},
		{"bad name", replaced("server_name=db-15_main", "server_name=a b")},
		{"no sysid", without("system_identifier=7300000000000000001\n")},
		{"bad sysid", replaced("system_identifier=7300000000000000001", "system_identifier=7x")},
		{"sysid overflow", replaced("system_identifier=7300000000000000001",
									"system_identifier=99999999999999999999")},
		{"no host", without("host=db1\n")},
		{"empty host", replaced("host=db1", "host=")},
		{"no machine id key", without("machine_id=0123456789abcdef0123456789abcdef\n")},
		{"no directory", without("data_directory=/var/lib/postgresql/15/main\n")},
		{"no instance", without("instance_id=00000000000000a1\n")},
		{"bad instance", replaced("instance_id=00000000000000a1", "instance_id=XYZ")},
		{"twice", good + "host=db2\n"},
		{"not key=value", good + "garbage\n"},
		{"zero byte", good + std::string(1, '\0')},
		{"too long", good + "x=" + std::string(kMaxRecordBytes, 'a') + "\n"},
		{"a segment", std::string(64, '\xd1')},
	};
	for (const auto &[what, text] : bad)
	{
		std::string why;
		EXPECT_FALSE(parse_claim(text, &why).has_value()) << what;
		EXPECT_FALSE(why.empty()) << what;
	}
}

TEST(ClaimRecord, RefusesLineBreaksInValues)
{
	ServerIdentity s = kFirst;
	s.data_directory = "/a\nhost=evil";
	EXPECT_THROW(format_claim(ClaimRecord{s, 1}), std::invalid_argument);
}

TEST(ClaimDecision, SameInstanceIsOurs)
{
	ClaimRecord claim{kFirst, 1};
	ServerIdentity me = kFirst;
	me.port = 5433; /* a changed port is the same server */
	EXPECT_EQ(decide_claim(claim, me).match, ClaimMatch::Ours);
}

TEST(ClaimDecision, SameHostDirectoryAndClusterIsTheSameServerRebuilt)
{
	ClaimRecord claim{kFirst, 1};
	ServerIdentity me = kFirst;
	me.instance_id = "00000000000000a2"; /* its instance file was lost or replaced */
	EXPECT_EQ(decide_claim(claim, me).match, ClaimMatch::SameServerRebuilt);
}

TEST(ClaimDecision, AnythingElseIsForeign)
{
	ClaimRecord claim{kFirst, 1};
	struct Case
	{
		const char *what;
		ServerIdentity me;
		const char *reason;
	};
	ServerIdentity other_host = kFirst; /* Debian: same path and port on every host */
	other_host.host = "db2";
	other_host.machine_id = "";
	other_host.instance_id = "00000000000000b1";
	ServerIdentity same_name_host = other_host; /* a cloned VM that kept its host name */
	same_name_host.host = "db1";
	same_name_host.machine_id = "fedcba9876543210fedcba9876543210";
	ServerIdentity other_dir = kFirst; /* a standby on the same host */
	other_dir.data_directory = "/var/lib/postgresql/15/standby";
	other_dir.instance_id = "00000000000000c1";
	ServerIdentity other_cluster = kFirst; /* initdb again in the same place */
	other_cluster.system_identifier = 7300000000000000002ull;
	other_cluster.instance_id = "00000000000000d1";
	ServerIdentity everything = other_host;
	everything.data_directory = "/data";
	everything.system_identifier = 1;
	for (const Case &c : {Case{"other host", other_host, "host"},
						  Case{"same host name, other machine", same_name_host, "machine id"},
						  Case{"other directory", other_dir, "data directory"},
						  Case{"other cluster", other_cluster, "system identifier"},
						  Case{"all", everything, "host, data directory, system identifier"}})
	{
		ClaimDecision d = decide_claim(claim, c.me);
		EXPECT_EQ(d.match, ClaimMatch::Foreign) << c.what;
		EXPECT_EQ(d.reason, c.reason) << c.what;
	}
	/* A record under another name than it says (copied by hand) is nobody's claim on this one. */
	ClaimRecord renamed = claim;
	renamed.server.name = "other";
	EXPECT_EQ(decide_claim(renamed, kFirst).match, ClaimMatch::Foreign);
}

TEST(ClaimDecision, DescribesAServer)
{
	EXPECT_EQ(describe_server(kFirst),
			  "host \"db1\", data directory \"/var/lib/postgresql/15/main\", port 5432, system "
			  "identifier 7300000000000000001, instance 00000000000000a1");
}

/* A store in memory, to drive check_claim() through every answer a store can give. */
class MemoryStore : public ClaimStore
{
public:
	std::map<std::string, std::string> objects;
	int creates = 0;
	/* Someone else creates this just before our create (a race lost). */
	std::optional<std::string> created_by_other;

	bool
	create_if_absent(const std::string &name, const std::string &contents) override
	{
		creates++;
		if (created_by_other)
		{
			objects.emplace(name, *created_by_other);
			created_by_other.reset();
		}
		return objects.emplace(name, contents).second;
	}
	std::optional<std::string>
	read(const std::string &name, size_t max_bytes) override
	{
		auto it = objects.find(name);
		if (it == objects.end())
			return std::nullopt;
		return it->second.substr(0, max_bytes);
	}
	std::string
	location(const std::string &name) const override
	{
		return "mem://" + name;
	}
};

TEST(CheckClaim, ClaimsAFreeNameThenFindsItsOwn)
{
	MemoryStore store;
	ClaimCheck c = check_claim(store, kFirst, 100);
	EXPECT_EQ(c.status, ClaimStatus::Created);
	EXPECT_EQ(c.location, "mem://claims/db-15_main");
	EXPECT_EQ(store.objects.at("claims/db-15_main"), format_claim(ClaimRecord{kFirst, 100}));

	c = check_claim(store, kFirst, 200);
	EXPECT_EQ(c.status, ClaimStatus::Ours);
	EXPECT_TRUE(claim_allows_use(c.status));
	EXPECT_EQ(store.creates, 1) << "an existing claim is read, not written";
	EXPECT_EQ(store.objects.at("claims/db-15_main"), format_claim(ClaimRecord{kFirst, 100}));
}

TEST(CheckClaim, AnotherServerIsRefusedAndChangesNothing)
{
	MemoryStore store;
	ASSERT_EQ(check_claim(store, kFirst, 100).status, ClaimStatus::Created);
	std::string before = store.objects.at("claims/db-15_main");

	ServerIdentity second = server("db2", kFirst.data_directory, "00000000000000b1");
	ClaimCheck c = check_claim(store, second, 200);
	EXPECT_EQ(c.status, ClaimStatus::Foreign);
	EXPECT_FALSE(claim_allows_use(c.status));
	EXPECT_EQ(c.reason, "host");
	ASSERT_TRUE(c.holder.has_value());
	EXPECT_EQ(c.holder->server.instance_id, kFirst.instance_id);
	EXPECT_EQ(store.objects.at("claims/db-15_main"), before);
	EXPECT_EQ(store.creates, 1);
}

TEST(CheckClaim, RebuiltServerKeepsTheClaimAsItIs)
{
	MemoryStore store;
	ASSERT_EQ(check_claim(store, kFirst, 100).status, ClaimStatus::Created);
	ServerIdentity again = kFirst;
	again.instance_id = "00000000000000a2";
	EXPECT_EQ(check_claim(store, again, 200).status, ClaimStatus::Rebuilt);
	EXPECT_EQ(store.objects.at("claims/db-15_main"), format_claim(ClaimRecord{kFirst, 100}));
}

TEST(CheckClaim, DamagedRecordIsRefused)
{
	MemoryStore store;
	store.objects["claims/db-15_main"] = "half a rec";
	ClaimCheck c = check_claim(store, kFirst, 100);
	EXPECT_EQ(c.status, ClaimStatus::Damaged);
	EXPECT_FALSE(claim_allows_use(c.status));
	EXPECT_FALSE(c.reason.empty());
	EXPECT_EQ(store.objects.at("claims/db-15_main"), "half a rec");
	EXPECT_EQ(store.creates, 0);

	/* Longer than any claim: refused, not truncated into one. */
	store.objects["claims/db-15_main"] =
		format_claim(ClaimRecord{kFirst, 1}) + "x=" + std::string(kMaxRecordBytes, 'a') + "\n";
	EXPECT_EQ(check_claim(store, kFirst, 100).status, ClaimStatus::Damaged);
}

TEST(CheckClaim, LostRaceDecidesOnTheWinnersClaim)
{
	MemoryStore store;
	ServerIdentity winner = server("db2", "/data", "00000000000000b1");
	store.created_by_other = format_claim(ClaimRecord{winner, 50});
	ClaimCheck c = check_claim(store, kFirst, 100);
	EXPECT_EQ(c.status, ClaimStatus::Foreign);
	EXPECT_EQ(store.objects.at("claims/db-15_main"), format_claim(ClaimRecord{winner, 50}));
}

class FsClaimTest : public ::testing::Test
{
protected:
	TempDir dir;

	/* The claims of a filesystem archive, written as server s. */
	struct FsClaims
	{
		FsStore fs;
		StoreClaimStore claims;
		FsClaims(const std::string &root, const ServerIdentity &s)
			: fs(root, StoreWriter{s.name, static_cast<long>(::getpid()), s.instance_id}),
			  claims(fs)
		{
		}
	};
};

/* A claim into an archive directory that does not exist fails and creates nothing: the archive
 * itself is never made (an unmounted share must not fill the mount point). */
TEST_F(FsClaimTest, MissingArchiveDirectoryIsNotCreated)
{
	std::string missing = dir / "not-mounted";
	FsClaims store_fs(missing, kFirst);
	EXPECT_THROW(store_fs.claims.create_if_absent("claims/x", "first\n"), IoError);
	struct stat st;
	EXPECT_NE(::stat(missing.c_str(), &st), 0) << "the archive directory was created";
	EXPECT_EQ(test::dir_names(dir.path()), std::vector<std::string>{});
}

TEST_F(FsClaimTest, CreatesOnceAndNeverReplaces)
{
	FsClaims store_fs(dir.path(), kFirst);
	ClaimStore &store = store_fs.claims;
	EXPECT_FALSE(store.read("claims/x", 100).has_value());
	EXPECT_EQ(store.location("claims/x"), dir / "claims/x");
	EXPECT_TRUE(store.create_if_absent("claims/x", "first\n"));
	EXPECT_FALSE(store.create_if_absent("claims/x", "second\n"));
	EXPECT_EQ(store.read("claims/x", 100), std::optional<std::string>("first\n"));
	EXPECT_EQ(store.read("claims/x", 3), std::optional<std::string>("fir"));
	EXPECT_EQ(test::dir_names(dir / "claims"), std::vector<std::string>{"x"}) << "no temp left";
}

TEST_F(FsClaimTest, RefusesWhatIsNotARegularFile)
{
	FsClaims store_fs(dir.path(), kFirst);
	ClaimStore &store = store_fs.claims;
	make_dirs_durable(dir / "claims");
	ASSERT_EQ(::mkfifo((dir / "claims/fifo").c_str(), 0600), 0);
	EXPECT_THROW(store.read("claims/fifo", 100), IoError) << "and does not block";
	ASSERT_EQ(::symlink("/etc/hostname", (dir / "claims/link").c_str()), 0);
	EXPECT_THROW(store.read("claims/link", 100), IoError);
	ASSERT_EQ(::mkdir((dir / "claims/dir").c_str(), 0700), 0);
	EXPECT_THROW(store.read("claims/dir", 100), IoError);
}

TEST_F(FsClaimTest, SecondServerIsRefusedAndTheClaimIsUntouched)
{
	FsClaims first_fs(dir.path(), kFirst);
	ClaimStore &first = first_fs.claims;
	ASSERT_EQ(check_claim(first, kFirst, 100).status, ClaimStatus::Created);
	std::string path = dir / "claims/db-15_main";
	std::string before = slurp(path);
	EXPECT_EQ(before, format_claim(ClaimRecord{kFirst, 100}));
	struct stat st_before;
	ASSERT_EQ(::stat(path.c_str(), &st_before), 0);

	ServerIdentity second = server("db2", kFirst.data_directory, "00000000000000b1");
	FsClaims other_fs(dir.path(), second);
	ClaimStore &other = other_fs.claims;
	ClaimCheck c = check_claim(other, second, 200);
	EXPECT_EQ(c.status, ClaimStatus::Foreign);
	EXPECT_EQ(c.location, path);
	EXPECT_EQ(slurp(path), before);
	struct stat st_after;
	ASSERT_EQ(::stat(path.c_str(), &st_after), 0);
	EXPECT_EQ(st_after.st_ino, st_before.st_ino);
	EXPECT_EQ(test::dir_names(dir / "claims"), std::vector<std::string>{"db-15_main"});
	EXPECT_EQ(check_claim(first, kFirst, 300).status, ClaimStatus::Ours);
}

TEST_F(FsClaimTest, OneOfManyAtOnceGetsTheName)
{
	constexpr int kServers = 8;
	std::vector<ClaimStatus> got(kServers);
	std::atomic<int> ready{0};
	std::vector<std::thread> threads;
	for (int i = 0; i < kServers; i++)
		threads.emplace_back(
			[&, i]()
			{
				ServerIdentity s = server("db" + std::to_string(i), "/data",
										  format_instance_id(static_cast<uint64_t>(i + 1)));
				FsClaims store_fs(dir.path(), s);
				ClaimStore &store = store_fs.claims;
				ready++;
				while (ready < kServers)
					std::this_thread::yield();
				got[static_cast<size_t>(i)] = check_claim(store, s, 100).status;
			});
	for (auto &t : threads)
		t.join();
	int created = 0, foreign = 0;
	for (ClaimStatus s : got)
	{
		created += s == ClaimStatus::Created;
		foreign += s == ClaimStatus::Foreign;
	}
	EXPECT_EQ(created, 1);
	EXPECT_EQ(foreign, kServers - 1);
	EXPECT_EQ(test::dir_names(dir / "claims"), std::vector<std::string>{"db-15_main"});
}

TEST_F(FsClaimTest, SweepsOnlyItsOwnDeadTempsInTheClaimsFolder)
{
	make_dirs_durable(dir / "claims");
	/* A dead pid of this instance (a crash while claiming), and another instance's. */
	std::string own = temp_file_name("x", kFirst.name, kFirst.instance_id, 999999999, 1);
	std::string theirs = temp_file_name("x", kFirst.name, "00000000000000b1", 999999999, 1);
	test::write_file(dir / "claims" + "/" + own, "half");
	test::write_file(dir / "claims" + "/" + theirs, "half");
	FsClaims store_fs(dir.path(), kFirst);
	ClaimStore &store = store_fs.claims;
	ASSERT_TRUE(store.create_if_absent("claims/y", "y\n"));
	/* The archiver sweeps the claims folder with the others (archive_call.cpp). */
	sweep_temp_files(dir / "claims", kFirst.instance_id, static_cast<long>(::getpid()),
					 pid_is_alive, ::time(nullptr), 24 * 3600);
	std::vector<std::string> expect{theirs, "y"};
	std::sort(expect.begin(), expect.end());
	EXPECT_EQ(test::dir_names(dir / "claims"), expect);
}

TEST(InstanceFile, MadeOnceThenKept)
{
	TempDir dir;
	std::string path = dir / "pg_logship/instance";
	InstanceInfo a = load_or_create_instance(path, "db1", "", dir.path(), 100);
	EXPECT_TRUE(a.created);
	EXPECT_TRUE(a.why_new.empty());
	EXPECT_TRUE(valid_instance_id(a.instance_id));
	EXPECT_NE(a.instance_id, kNoInstance);
	auto rec = parse_instance(slurp(path));
	ASSERT_TRUE(rec.has_value());
	EXPECT_EQ(rec->instance_id, a.instance_id);
	EXPECT_EQ(rec->host, "db1");
	EXPECT_EQ(rec->data_directory, dir.path());
	EXPECT_EQ(rec->created_at, 100);

	InstanceInfo b = load_or_create_instance(path, "db1", "", dir.path(), 200);
	EXPECT_FALSE(b.created);
	EXPECT_EQ(b.instance_id, a.instance_id);
}

TEST(InstanceFile, ACopyMakesItsOwn)
{
	TempDir dir;
	std::string path = dir / "pg_logship/instance";
	InstanceInfo orig = load_or_create_instance(path, "db1", "m1", "/data/primary", 100);
	/* pg_basebackup on the same host into another directory. */
	InstanceInfo standby = load_or_create_instance(path, "db1", "m1", "/data/standby", 200);
	EXPECT_TRUE(standby.created);
	EXPECT_NE(standby.instance_id, orig.instance_id);
	EXPECT_NE(standby.why_new.find("/data/primary"), std::string::npos) << standby.why_new;
	EXPECT_NE(standby.why_new.find(orig.instance_id), std::string::npos) << standby.why_new;
	/* The same path on another host (Debian's /var/lib/postgresql/15/main everywhere). */
	InstanceInfo other_host = load_or_create_instance(path, "db2", "m2", "/data/standby", 300);
	EXPECT_TRUE(other_host.created);
	EXPECT_NE(other_host.instance_id, standby.instance_id);
	EXPECT_NE(other_host.why_new.find("\"db1\""), std::string::npos) << other_host.why_new;
	/* A clone that kept its host name, on another machine. */
	InstanceInfo clone = load_or_create_instance(path, "db2", "m3", "/data/standby", 400);
	EXPECT_TRUE(clone.created);
	EXPECT_NE(clone.instance_id, other_host.instance_id);
	/* Then it stays. */
	EXPECT_EQ(load_or_create_instance(path, "db2", "m3", "/data/standby", 500).instance_id,
			  clone.instance_id);
}

TEST(InstanceFile, ADamagedFileIsReplaced)
{
	TempDir dir;
	std::string path = dir / "pg_logship/instance";
	make_dirs_durable(dir / "pg_logship");
	test::write_file(path, "instance_id=0000000000000001\n");
	InstanceInfo info = load_or_create_instance(path, "db1", "", dir.path(), 100);
	EXPECT_TRUE(info.created);
	EXPECT_NE(info.why_new.find("cannot be read"), std::string::npos) << info.why_new;
	EXPECT_TRUE(parse_instance(slurp(path)).has_value());
}

TEST(InstanceFile, HostIdentity)
{
	EXPECT_FALSE(local_host_name().empty());
	std::string m = local_machine_id();
	EXPECT_TRUE(m.empty() || m.size() == 32) << m;
	EXPECT_EQ(format_instance_id(0xabc), "0000000000000abc");
	EXPECT_NE(format_instance_id(0), kNoInstance);
	EXPECT_TRUE(valid_instance_id(format_instance_id(0)));
}

TEST(DefaultServerName, HostThenClusterNameOrPort)
{
	EXPECT_EQ(default_server_name("db1.example.com", "15/main", 5432), "db1-15_main");
	EXPECT_EQ(default_server_name("db2", "15/main", 5432), "db2-15_main");
	EXPECT_EQ(default_server_name("db1", "", 5433), "db1-5433");
	EXPECT_EQ(default_server_name("", "main", 5432), "pg-main");
	EXPECT_EQ(default_server_name("we!rd host", "x", 1), "we_rd_host-x");
	std::string long_host(80, 'h');
	std::string n = default_server_name(long_host, "15/main", 5432);
	EXPECT_EQ(n.size(), kMaxServerName);
	EXPECT_EQ(n.substr(n.size() - 8), "-15_main");
	n = default_server_name(long_host, std::string(80, 'c'), 5432);
	EXPECT_TRUE(valid_server_name(n)) << n;
	EXPECT_NE(n.find("hhh-ccc"), std::string::npos) << "both parts are kept: " << n;
}

} // namespace
} // namespace pgls
