/* SPDX-License-Identifier: MIT */
/*
 * <poppack.h>: ends the packed region a <pshpackN.h> began, restoring the
 * alignment in force before it. No include guard, as for <pshpackN.h>.
 */
#pragma pack(pop)
