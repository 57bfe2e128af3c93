# Runs at install time (from install(CODE)), not at configure time, so that
# ndisbuf.pc names the prefix actually installed into: the configured
# CMAKE_INSTALL_PREFIX, or the one given by `cmake --install --prefix`.
#
# Inputs (set by the caller): NDISBUF_PC_IN, NDISBUF_PC_OUT,
# NDISBUF_PC_VERSION, NDISBUF_PC_LIBDIR_REL, NDISBUF_PC_INCLUDEDIR_REL.

set(NDISBUF_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")

foreach(kind LIBDIR INCLUDEDIR)
  set(dir "${NDISBUF_PC_${kind}_REL}")
  if(IS_ABSOLUTE "${dir}")
    set(NDISBUF_PC_${kind} "${dir}")
  else()
    set(NDISBUF_PC_${kind} "\${prefix}/${dir}")
  endif()
endforeach()

configure_file("${NDISBUF_PC_IN}" "${NDISBUF_PC_OUT}" @ONLY)

if(IS_ABSOLUTE "${NDISBUF_PC_LIBDIR_REL}")
  set(pc_dest "${NDISBUF_PC_LIBDIR_REL}/pkgconfig")
else()
  set(pc_dest "${CMAKE_INSTALL_PREFIX}/${NDISBUF_PC_LIBDIR_REL}/pkgconfig")
endif()
file(INSTALL DESTINATION "${pc_dest}" TYPE FILE FILES "${NDISBUF_PC_OUT}")
