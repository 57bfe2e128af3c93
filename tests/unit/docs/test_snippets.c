/* SPDX-License-Identifier: MIT */
/*
 * Keeps the documentation true: a fenced code block opened with
 * ```c file=<path> in any Markdown page under docs/ must be exactly the content of
 * <path> (relative to the repository root). The repository root is found
 * from this file's own path (CMake compiles it by absolute path), or else
 * by walking up from the working directory, so the check works from a
 * clean clone and from any build directory.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define SELF "tests/unit/docs/test_snippets.c"
#define MARK "file="

static char root[PATH_MAX];

static bool is_root(const char *dir)
{
    char probe[PATH_MAX + 32];
    struct stat st;
    snprintf(probe, sizeof(probe), "%s/docs/datapath.md", dir);
    return stat(probe, &st) == 0;
}

/* The repository root, from __FILE__ or the working directory upwards. */
static const char *repo_root(void)
{
    const char *self = __FILE__;
    size_t n = strlen(self), tail = strlen(SELF);
    if (n >= tail && strcmp(self + n - tail, SELF) == 0 && n - tail < sizeof(root)) {
        snprintf(root, sizeof(root), "%.*s", (int)(n - tail), self);
        if (!root[0])
            snprintf(root, sizeof(root), ".");
        if (is_root(root))
            return root;
    }
    if (!getcwd(root, sizeof(root)))
        return NULL;
    for (;;) {
        if (is_root(root))
            return root;
        char *slash = strrchr(root, '/');
        if (!slash || slash == root)
            return NULL;
        *slash = '\0';
    }
}

/* The whole file, NUL-terminated, or NULL. */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t used = 0, room = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (used + got + 1 > room) {
            room = 2 * (used + got + 1);
            char *grown = realloc(text, room);
            if (!grown) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + used, chunk, got);
        used += got;
    }
    fclose(f);
    if (!text && !(text = calloc(1, 1)))
        return NULL;
    text[used] = '\0';
    if (size)
        *size = used;
    return text;
}

/* Reports the first line where block and file differ. */
static void report_difference(const char *page, const char *path, const char *block, size_t block_len,
                              const char *file, size_t file_len)
{
    size_t line = 1, i = 0;
    while (i < block_len && i < file_len && block[i] == file[i])
        line += block[i++] == '\n';
    print_error("%s: the block marked %s%s differs from the file at line %zu of the block "
                "(block %zu bytes, file %zu bytes); paste the file into the page again\n",
                page, MARK, path, line, block_len, file_len);
}

/*
 * Checks every marked block of one page; returns how many it checked and
 * counts in *bad those that differ. *found_path is set when a block names it.
 */
static size_t check_page(const char *dir, const char *page, size_t *bad, const char *wanted, bool *found)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/docs/%s", dir, page);
    char *text = slurp(path, NULL);
    assert_non_null(text);
    size_t checked = 0;
    char *line = text;
    while (line && *line) {
        char *next = strchr(line, '\n');
        next = next ? next + 1 : NULL;
        const char *mark = strncmp(line, "```", 3) == 0 ? strstr(line, " " MARK) : NULL;
        if (mark && (!next || mark < next)) {
            char target[PATH_MAX];
            size_t len = strcspn(mark + 1 + strlen(MARK), " \t\r\n");
            snprintf(target, sizeof(target), "%.*s", (int)len, mark + 1 + strlen(MARK));
            /* The block runs to the next line that is exactly ``` */
            char *body = next, *end = body;
            while (end && strncmp(end, "```\n", 4) != 0 && strcmp(end, "```") != 0) {
                end = strchr(end, '\n');
                end = end ? end + 1 : NULL;
            }
            if (!body || !end) {
                print_error("docs/%s: the block marked %s%s is not closed\n", page, MARK, target);
                (*bad)++;
                break;
            }
            char file_path[PATH_MAX * 2];
            snprintf(file_path, sizeof(file_path), "%s/%s", dir, target);
            size_t file_len = 0;
            char *file = slurp(file_path, &file_len);
            size_t block_len = (size_t)(end - body);
            if (!file) {
                print_error("docs/%s: the block marked %s%s names a file that does not exist\n", page, MARK,
                            target);
                (*bad)++;
            } else if (file_len != block_len || memcmp(file, body, block_len) != 0) {
                report_difference(page, target, body, block_len, file, file_len);
                (*bad)++;
            }
            free(file);
            checked++;
            if (wanted && strcmp(target, wanted) == 0)
                *found = true;
            next = strchr(end, '\n');
            next = next ? next + 1 : NULL;
        }
        line = next;
    }
    free(text);
    return checked;
}

static size_t check_all_pages(const char *wanted_page, const char *wanted_file, bool *found)
{
    const char *dir = repo_root();
    if (!dir)
        fail_msg("cannot find the repository root (docs/datapath.md) from %s or the working directory", __FILE__);
    char docs[PATH_MAX * 2];
    snprintf(docs, sizeof(docs), "%s/docs", dir);
    DIR *d = opendir(docs);
    assert_non_null(d);
    size_t checked = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".md") != 0)
            continue;
        bool is_wanted = wanted_page && strcmp(e->d_name, wanted_page) == 0;
        checked += check_page(dir, e->d_name, &bad, is_wanted ? wanted_file : NULL, found);
    }
    closedir(d);
    assert_int_equal(bad, 0);
    return checked;
}

static void every_marked_code_block_in_docs_equals_its_file(void **state)
{
    (void)state;
    bool found = false;
    size_t checked = check_all_pages(NULL, NULL, &found);
    print_message("%zu marked block(s) checked\n", checked);
}

static void datapath_page_shows_the_tag_filter_example_verbatim(void **state)
{
    (void)state;
    bool found = false;
    check_all_pages("datapath.md", "examples/tag_filter.c", &found);
    if (!found)
        fail_msg("docs/datapath.md has no block marked ```c file=examples/tag_filter.c");
}

static void derived_page_shows_the_ipv4_fragmenter_example_verbatim(void **state)
{
    (void)state;
    bool found = false;
    check_all_pages("derived.md", "examples/ipv4_fragmenter.c", &found);
    if (!found)
        fail_msg("docs/derived.md has no block marked ```c file=examples/ipv4_fragmenter.c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(every_marked_code_block_in_docs_equals_its_file),
        HARNESS_TEST(datapath_page_shows_the_tag_filter_example_verbatim),
        HARNESS_TEST(derived_page_shows_the_ipv4_fragmenter_example_verbatim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
