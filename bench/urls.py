from django.urls import path
from mozilla_django_oidc import views as stock

from cxone_portal.urls import urlpatterns as portal

urlpatterns = [
    path("stock/authenticate/", stock.OIDCAuthenticationRequestView.as_view(), name="stock_init"),
    path("stock/callback/", stock.OIDCAuthenticationCallbackView.as_view(), name="stock_callback"),
    *portal,
]
