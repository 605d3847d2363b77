from django.core.exceptions import BadRequest


class RejectNulBytesMiddleware:
    """Answer a query string holding a NUL byte with the 400 page.

    No real address contains one, and PostgreSQL refuses NUL in text, so such a
    value would otherwise reach a query (an admin list filter, say) and fail
    there with a 500. Checked once here for every page, public or admin.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("The address holds a NUL byte.")
        return self.get_response(request)
