from django.core.paginator import Paginator


def get_page(request, object_list, per_page):
    """The requested page, or the nearest valid one: `abc` and `0` give the first, `9999` the last.

    (Paginator.get_page gives the last page for `0` and `-1`.)
    """
    paginator = Paginator(object_list, per_page)
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        number = 1
    return paginator.page(min(max(number, 1), paginator.num_pages))
