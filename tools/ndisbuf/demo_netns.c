/* SPDX-License-Identifier: MIT */
/*
 * `ndisbuf demo --peer-netns PATH`: the peer adapter lives in another
 * network namespace (PATH: /var/run/netns/NAME, /proc/PID/ns/net, ...).
 *
 * Only the calling thread moves, and only around the call that needs the
 * other namespace: ndisbuf_stack_add_adapter for the peer (the AF_PACKET
 * miniport opens its sockets and starts its thread there, and both stay
 * there) and the lookup of the peer's interface name. The thread goes back
 * through a descriptor of the namespace it left (/proc/thread-self/ns/net),
 * so the rest of the process never sees the switch.
 *
 * A path that cannot be opened or is not a network namespace is a usage
 * error (exit 2), checked before anything is built; a setns that fails
 * (no CAP_SYS_ADMIN) fails the run (exit 1) with the errno text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"

#define DEMO_THREAD_NETNS "/proc/thread-self/ns/net"

int demo_netns_enter(int ns, int *home)
{
    int error;

    *home = open(DEMO_THREAD_NETNS, O_RDONLY | O_CLOEXEC);
    if (*home < 0)
        return errno;
    if (setns(ns, CLONE_NEWNET) == 0)
        return 0;
    error = errno;
    close(*home);
    *home = -1;
    return error;
}

int demo_netns_leave(int home)
{
    int error = setns(home, CLONE_NEWNET) == 0 ? 0 : errno;

    close(home);
    return error;
}

const char *demo_netns_hint(int error)
{
    return error == EPERM ? " (setns needs CAP_SYS_ADMIN: run as root)" : "";
}

/* One line on stderr for a setns that failed; the exit status that goes with it. */
static int demo_netns_failed(const char *verb, const char *path, int error)
{
    fprintf(stderr, "ndisbuf demo: %s network namespace '%s' (--peer-netns) failed: %s%s\n", verb, path,
            strerror(error), demo_netns_hint(error));
    return DEMO_EXIT_FAILED;
}

/* Whether ns is the namespace this thread is in (same nsfs inode). */
static bool demo_netns_is_current(int ns)
{
    struct stat a, b;

    return fstat(ns, &a) == 0 && stat(DEMO_THREAD_NETNS, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Looks the peer's interface up inside ns. */
static int demo_netns_find_peer(const demo_options *o, int ns)
{
    int home, error = demo_netns_enter(ns, &home);
    unsigned index;

    if (error != 0)
        return demo_netns_failed("entering", o->peer_netns, error);
    index = if_nametoindex(o->peer);
    error = demo_netns_leave(home);
    if (error != 0)
        return demo_netns_failed("leaving", o->peer_netns, error);
    if (index == 0) {
        demo_usage_error("--peer: no network interface named '%s' in network namespace '%s'", o->peer,
                         o->peer_netns);
        return DEMO_EXIT_USAGE;
    }
    return DEMO_EXIT_OK;
}

/* Checks ns, o->peer_netns opened (-1: the open failed, errno says why), and the peer's name in it. */
static int demo_netns_check(const demo_options *o, int ns)
{
    if (ns < 0) {
        demo_usage_error("--peer-netns: cannot open '%s': %s", o->peer_netns, strerror(errno));
        return DEMO_EXIT_USAGE;
    }
    if (ioctl(ns, NS_GET_NSTYPE) != CLONE_NEWNET) {
        demo_usage_error("--peer-netns: '%s' is not a network namespace (/var/run/netns/NAME, /proc/PID/ns/net)",
                         o->peer_netns);
        return DEMO_EXIT_USAGE;
    }
    if (!strcmp(o->peer, o->iface) && demo_netns_is_current(ns)) {
        demo_usage_error("--peer must name another interface than --iface ('%s' is this network namespace)",
                         o->peer_netns);
        return DEMO_EXIT_USAGE;
    }
    return demo_netns_find_peer(o, ns);
}

int demo_netns_open_peer(const demo_options *o, int *ns)
{
    int rc;

    *ns = open(o->peer_netns, O_RDONLY | O_CLOEXEC);
    rc = demo_netns_check(o, *ns);
    if (rc != DEMO_EXIT_OK && *ns >= 0) {
        close(*ns);
        *ns = -1;
    }
    return rc;
}
