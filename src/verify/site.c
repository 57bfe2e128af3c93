/* SPDX-License-Identifier: MIT */
/*
 * Naming code addresses (allocation sites, level-4 call stacks) in reports,
 * listings and dumps.
 *
 * The verifier records raw return addresses, which cost nothing to keep;
 * they are named only when something is printed. With libdw in the build
 * (NDISBUF_HAVE_LIBDW, set by CMake when pkg-config finds libdw), the name
 * comes from the symbol table and the debug info of the module, so a
 * driver's static functions show with their source line and nobody relinks
 * with -rdynamic: `function+0x1c (file.c:123)`. Otherwise, or when libdw
 * knows nothing of the address, it comes from dladdr, which sees exported
 * symbols only: `symbol+0x1c`, else `module+0x1c`, else the bare pointer.
 *
 * libdw works on a session (Dwfl) describing the process' modules. One is
 * made at first use and kept for the life of the process, behind a mutex
 * (libdwfl is not thread-safe); when an address falls in no module it
 * knows (a library dlopened since), the modules are reported again.
 * Separate debug info is looked up on this machine only (build ID under
 * /usr/lib/debug), never from a debuginfod server: a report must not wait
 * on the network.
 */
#define _GNU_SOURCE /* dladdr */
#include "verify/verify.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void vf_describe_site_plain(const void *site, char *out, size_t size)
{
    Dl_info info;
    if (site && dladdr(site, &info) && info.dli_sname)
        snprintf(out, size, "%s+%#lx", info.dli_sname,
                 (unsigned long)((const char *)site - (const char *)info.dli_saddr));
    else if (site && dladdr(site, &info) && info.dli_fname)
        snprintf(out, size, "%s+%#lx", base_name(info.dli_fname),
                 (unsigned long)((const char *)site - (const char *)info.dli_fbase));
    else
        snprintf(out, size, "%p", site);
}

#ifdef NDISBUF_HAVE_LIBDW

#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t dw_lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dw_session; /* under dw_lock: made at first use, never ended */
static bool dw_unusable; /* under dw_lock: making it failed once; not tried again */

/* Separate debug info by build ID on this machine; the standard callback may ask debuginfod. */
static int dw_find_local_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                                   const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                                   char **debuginfo_file_name)
{
    return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
                                        debuginfo_file_name);
}

static const Dwfl_Callbacks dw_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dw_find_local_debuginfo,
};

/* (Re)reads the process' modules from /proc/self/maps; modules still mapped keep what was loaded. */
static bool dw_report_modules(Dwfl *dwfl)
{
    dwfl_report_begin(dwfl);
    int failed = dwfl_linux_proc_report(dwfl, getpid());
    return dwfl_report_end(dwfl, NULL, NULL) == 0 && failed == 0;
}

static Dwfl *dw_session_locked(void)
{
    if (dw_session || dw_unusable)
        return dw_session;
    Dwfl *dwfl = dwfl_begin(&dw_callbacks);
    if (dwfl && dw_report_modules(dwfl))
        dw_session = dwfl;
    else if (dwfl)
        dwfl_end(dwfl);
    dw_unusable = dw_session == NULL;
    return dw_session;
}

static Dwfl_Module *dw_module_locked(Dwarf_Addr at)
{
    Dwfl *dwfl = dw_session_locked();
    Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, at) : NULL;
    if (dwfl && !mod && dw_report_modules(dwfl)) /* mapped since the session was made? */
        mod = dwfl_addrmodule(dwfl, at);
    return mod;
}

/* The function and source line of a return address; false when libdw knows no module there. */
static bool describe_debug(const void *site, char *out, size_t size)
{
    /* A return address follows its call: the byte before it is in the calling line. */
    Dwarf_Addr at = (Dwarf_Addr)(uintptr_t)site - 1;
    pthread_mutex_lock(&dw_lock);
    Dwfl_Module *mod = dw_module_locked(at);
    GElf_Off offset = 0;
    GElf_Sym sym;
    const char *name = mod ? dwfl_module_addrinfo(mod, at, &offset, &sym, NULL, NULL, NULL) : NULL;
    Dwfl_Line *line = mod ? dwfl_module_getsrc(mod, at) : NULL;
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (name) /* without a symbol version ("name@@GLIBC_2.34"), as dladdr gives it */
        snprintf(out, size, "%.*s+%#lx", (int)strcspn(name, "@"), name, (unsigned long)offset + 1);
    else if (mod)
        vf_describe_site_plain(site, out, size);
    size_t used = strlen(out);
    if (mod && file && used < size)
        snprintf(out + used, size - used, " (%s:%d)", base_name(file), lineno);
    pthread_mutex_unlock(&dw_lock);
    return mod != NULL;
}

#else /* !NDISBUF_HAVE_LIBDW */

static bool describe_debug(const void *site, char *out, size_t size)
{
    (void)site, (void)out, (void)size;
    return false;
}

#endif /* NDISBUF_HAVE_LIBDW */

void vf_describe_site(const void *site, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    if (!site || !describe_debug(site, out, size))
        vf_describe_site_plain(site, out, size);
}
