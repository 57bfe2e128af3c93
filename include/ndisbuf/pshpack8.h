/* SPDX-License-Identifier: MIT */
/*
 * <pshpack8.h>: structures declared after this header are packed to 8-byte
 * alignment until <poppack.h>, as with the WDK header of this name. Drivers
 * use the pair around wire formats. No include guard: it is meant to be
 * included again for every packed region.
 */
#pragma pack(push, 8)
