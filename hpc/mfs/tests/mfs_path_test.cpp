#include <gtest/gtest.h>

#include "mfs_path.h"

using namespace omx::mfs;

TEST(MfsPath, TopLevelNamesAreNodesAndMagic) {
    auto root = parse("/");
    ASSERT_TRUE(root);
    EXPECT_EQ(root->kind, MfsPath::Root);
    auto n = parse("/3/home/user//x");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->kind, MfsPath::Node);
    EXPECT_EQ(n->node, 3);
    EXPECT_EQ(n->rest, "/home/user/x");
    auto m = parse("/here");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, MfsPath::MagicEntry);
    EXPECT_EQ(m->magic, Magic::Here);
    EXPECT_EQ(m->rest, "/");
    EXPECT_FALSE(parse("/03/x"));
    EXPECT_FALSE(parse("/0"));
    EXPECT_FALSE(parse("/65536"));
    EXPECT_FALSE(parse("/usr"));
    EXPECT_TRUE(parse("/65535"));
}

TEST(MfsPath, ProcAndTheMountItselfAreExcluded) {
    EXPECT_TRUE(excluded("/proc"));
    EXPECT_TRUE(excluded("/proc/1/status"));
    EXPECT_FALSE(excluded("/process"));
    EXPECT_TRUE(excluded("/mfs/3/usr"));
    EXPECT_TRUE(excluded("/mfs"));
    EXPECT_FALSE(excluded("/mfsx"));
    EXPECT_TRUE(excluded("/srv/mfs/1", "/srv/mfs"));
    EXPECT_FALSE(excluded("/mfs/1", "/srv/mfs"));
}

TEST(MfsPath, CleaningRefusesDotDotAndRelativePaths) {
    EXPECT_EQ(clean_absolute("/a//b/./c/"), "/a/b/c");
    EXPECT_EQ(clean_absolute("/"), "/");
    EXPECT_FALSE(clean_absolute("a/b"));
    EXPECT_FALSE(clean_absolute("/a/../b"));
}

TEST(MfsPath, DirectPathIsOnlyForThisNodesOwnFiles) {
    EXPECT_EQ(direct_path("/mfs/2/data/x", "/mfs", 2), "/data/x");
    EXPECT_EQ(direct_path("/mfs/here/data", "/mfs", 2), "/data");
    EXPECT_EQ(direct_path("/mfs/2", "/mfs", 2), "/");
    EXPECT_FALSE(direct_path("/mfs/here", "/mfs", 2));   // the link itself: home answers readlink
    EXPECT_FALSE(direct_path("/mfs/3/data", "/mfs", 2));
    EXPECT_FALSE(direct_path("/mfs/home/data", "/mfs", 2));      // home decides at home
    EXPECT_FALSE(direct_path("/mfs/magic/data", "/mfs", 2));
    EXPECT_FALSE(direct_path("/mfs/2/../3/data", "/mfs", 2));   // may leave through a link
    EXPECT_FALSE(direct_path("/mfs/2/proc/1/mem", "/mfs", 2));
    EXPECT_FALSE(direct_path("/mfs/2/mfs/3/x", "/mfs", 2));
    EXPECT_FALSE(direct_path("/data/x", "/mfs", 2));
    EXPECT_FALSE(direct_path("mfs/2/x", "/mfs", 2));
}
