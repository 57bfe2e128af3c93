/* SPDX-License-Identifier: MIT */
/*
 * The NDIS 5.1 protocol shim: requests (docs/ndis5.md, "Running over the
 * NDIS 6 stack").
 *
 * NdisRequest becomes NdisOidRequest on the NDIS 6 binding. The
 * NDIS_OID_REQUEST lives in a block of the shim's that also remembers the
 * 5.1 request: when the OID request completes at once, the results are
 * copied back and the block freed before NdisRequest returns; when it
 * pends, the shim's ProtocolOidRequestComplete copies them back and calls
 * the 5.1 ProtocolRequestComplete with the protocol's own NDIS_REQUEST.
 */
#include <stdlib.h>
#include <string.h>

#include "ndis5/translate.h"
#include "verify/verify.h"

typedef struct xl_request {
    NDIS_OID_REQUEST oid;      /* first: what the stack sees */
    PNDIS_REQUEST request;     /* the 5.1 protocol's */
    xl_binding *binding;
} xl_request;

/* The NDIS_OID_REQUEST for a query or set; false for the other request types. */
static bool xl_translate(const NDIS_REQUEST *r, PNDIS_OID_REQUEST oid)
{
    memset(oid, 0, sizeof(*oid));
    oid->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    oid->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    oid->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    oid->PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    switch (r->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        oid->RequestType = r->RequestType;
        oid->DATA.QUERY_INFORMATION.Oid = r->DATA.QUERY_INFORMATION.Oid;
        oid->DATA.QUERY_INFORMATION.InformationBuffer = r->DATA.QUERY_INFORMATION.InformationBuffer;
        oid->DATA.QUERY_INFORMATION.InformationBufferLength = r->DATA.QUERY_INFORMATION.InformationBufferLength;
        return true;
    case NdisRequestSetInformation:
        oid->RequestType = r->RequestType;
        oid->DATA.SET_INFORMATION.Oid = r->DATA.SET_INFORMATION.Oid;
        oid->DATA.SET_INFORMATION.InformationBuffer = r->DATA.SET_INFORMATION.InformationBuffer;
        oid->DATA.SET_INFORMATION.InformationBufferLength = r->DATA.SET_INFORMATION.InformationBufferLength;
        return true;
    default:
        return false;
    }
}

/* The counts the lower layers filled in, into the 5.1 request. */
static void xl_copy_back(const NDIS_OID_REQUEST *oid, PNDIS_REQUEST r)
{
    if (r->RequestType == NdisRequestSetInformation) {
        r->DATA.SET_INFORMATION.BytesRead = oid->DATA.SET_INFORMATION.BytesRead;
        r->DATA.SET_INFORMATION.BytesNeeded = oid->DATA.SET_INFORMATION.BytesNeeded;
    } else {
        r->DATA.QUERY_INFORMATION.BytesWritten = oid->DATA.QUERY_INFORMATION.BytesWritten;
        r->DATA.QUERY_INFORMATION.BytesNeeded = oid->DATA.QUERY_INFORMATION.BytesNeeded;
    }
}

VOID NdisRequest(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle, PNDIS_REQUEST Request)
{
    static const char fn[] = "NdisRequest";
    if (!Status) {
        vf_diagnostic(fn, "Status is NULL");
        return;
    }
    xl_binding *b = xl_binding_fast(NdisBindingHandle, fn);
    if (!b || !Request) {
        if (b)
            vf_diagnostic(fn, "NdisRequest is NULL");
        *Status = b ? NDIS_STATUS_INVALID_PARAMETER : NDIS_STATUS_CLOSING;
        return;
    }
    xl_request *x = calloc(1, sizeof(*x));
    if (!x) {
        *Status = NDIS_STATUS_RESOURCES;
        return;
    }
    if (!xl_translate(Request, &x->oid)) {
        vf_diagnostic(fn, "RequestType %d: only queries and sets are translated", (int)Request->RequestType);
        free(x);
        *Status = NDIS_STATUS_NOT_SUPPORTED;
        return;
    }
    x->request = Request;
    x->binding = b;
    x->oid.RequestId = x;
    NDIS_STATUS status = NdisOidRequest(b->binding6, &x->oid);
    if (status != NDIS_STATUS_PENDING) { /* done: ProtocolOidRequestComplete is not called */
        xl_copy_back(&x->oid, Request);
        free(x);
    }
    *Status = status;
}

VOID xl_oid_complete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    xl_binding *b = ProtocolBindingContext;
    xl_request *x = CONTAINING_RECORD(OidRequest, xl_request, oid);
    PNDIS_REQUEST request = x->request;
    xl_copy_back(&x->oid, request);
    free(x);
    if (b->protocol->chars.RequestCompleteHandler)
        b->protocol->chars.RequestCompleteHandler(b->context5, request, Status);
    else
        vf_diagnostic("NdisRequest", "a request pended but the protocol has no RequestCompleteHandler");
}
