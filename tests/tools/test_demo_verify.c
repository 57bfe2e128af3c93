/* SPDX-License-Identifier: MIT */
/*
 * The checker behind `ndisbuf demo` (tools/ndisbuf/demo_verify.c): a frame
 * counts as intact only when every byte is what was sent for its sequence
 * number, once; anything else of this run is mismatched or duplicated, and
 * frames of other traffic are ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "demo.h"

#define FRAMES 16
#define SIZE 64

static const UCHAR dst[6] = {0x02, 0, 0, 0, 0, 0x02};
static const UCHAR src[6] = {0x02, 0, 0, 0, 0, 0x01};

static int setup(void **state)
{
    *state = demo_verifier_create(FRAMES, SIZE, dst, src);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    demo_verifier_destroy(*state);
    return 0;
}

static demo_counts counts_of(demo_verifier *v)
{
    demo_counts c;
    demo_verifier_counts(v, &c);
    return c;
}

static void intact_frames_count_once_each(void **state)
{
    UCHAR f[SIZE];
    for (ULONG seq = 0; seq < FRAMES; seq++) {
        demo_frame_build(f, SIZE, seq, dst, src);
        demo_verifier_receive(*state, f, SIZE);
    }
    demo_counts c = counts_of(*state);
    assert_int_equal(c.received, FRAMES);
    assert_int_equal(c.intact, FRAMES);
    assert_int_equal(c.mismatched + c.duplicated + c.others, 0);
}

static void a_second_copy_is_duplicated(void **state)
{
    UCHAR f[SIZE];
    demo_frame_build(f, SIZE, 3, dst, src);
    demo_verifier_receive(*state, f, SIZE);
    demo_verifier_receive(*state, f, SIZE);
    demo_counts c = counts_of(*state);
    assert_int_equal(c.intact, 1);
    assert_int_equal(c.duplicated, 1);
    assert_int_equal(c.received, 2);
}

/* Source address or EtherType changed: not this run's frame; any other byte: mismatched. */
static void every_flipped_byte_is_caught(void **state)
{
    UCHAR f[SIZE];
    for (ULONG i = 0; i < SIZE; i++) {
        demo_frame_build(f, SIZE, 5, dst, src);
        f[i] ^= 0x10;
        demo_verifier_receive(*state, f, SIZE);
    }
    demo_counts c = counts_of(*state);
    assert_int_equal(c.others, 8);
    assert_int_equal(c.mismatched, SIZE - 8);
    assert_int_equal(c.intact, 0);
}

static void the_payload_of_another_frame_is_mismatched(void **state)
{
    UCHAR f[SIZE], g[SIZE];
    demo_frame_build(f, SIZE, 1, dst, src);
    demo_frame_build(g, SIZE, 2, dst, src);
    memcpy(f + DEMO_MIN_SIZE, g + DEMO_MIN_SIZE, SIZE - DEMO_MIN_SIZE);
    demo_verifier_receive(*state, f, SIZE);
    assert_int_equal(counts_of(*state).mismatched, 1);
}

static void another_length_is_mismatched(void **state)
{
    UCHAR f[SIZE + 1];
    demo_frame_build(f, SIZE + 1, 4, dst, src);
    demo_verifier_receive(*state, f, SIZE - 1);
    demo_verifier_receive(*state, f, SIZE + 1);
    demo_verifier_receive(*state, f, DEMO_HEADER_BYTES);
    demo_counts c = counts_of(*state);
    assert_int_equal(c.mismatched, 3);
    assert_int_equal(c.intact, 0);
}

static void a_sequence_number_beyond_the_run_is_mismatched(void **state)
{
    UCHAR f[SIZE];
    demo_frame_build(f, SIZE, FRAMES, dst, src);
    demo_verifier_receive(*state, f, SIZE);
    assert_int_equal(counts_of(*state).mismatched, 1);
}

static void other_traffic_is_ignored(void **state)
{
    UCHAR f[SIZE];
    demo_frame_build(f, SIZE, 0, dst, src);
    f[12] = 0x86, f[13] = 0xDD; /* IPv6 */
    demo_verifier_receive(*state, f, SIZE);
    demo_verifier_receive(*state, f, 10); /* shorter than a header */
    demo_counts c = counts_of(*state);
    assert_int_equal(c.others, 2);
    assert_int_equal(c.received, 0);
}

static void wait_reports_whether_the_frames_are_back(void **state)
{
    UCHAR f[SIZE];
    assert_false(demo_verifier_wait(*state, 1, 10));
    demo_frame_build(f, SIZE, 0, dst, src);
    demo_verifier_receive(*state, f, SIZE);
    assert_true(demo_verifier_wait(*state, 1, 10));
    assert_false(demo_verifier_wait(*state, 2, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(intact_frames_count_once_each, setup, teardown),
        cmocka_unit_test_setup_teardown(a_second_copy_is_duplicated, setup, teardown),
        cmocka_unit_test_setup_teardown(every_flipped_byte_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(the_payload_of_another_frame_is_mismatched, setup, teardown),
        cmocka_unit_test_setup_teardown(another_length_is_mismatched, setup, teardown),
        cmocka_unit_test_setup_teardown(a_sequence_number_beyond_the_run_is_mismatched, setup, teardown),
        cmocka_unit_test_setup_teardown(other_traffic_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_reports_whether_the_frames_are_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
