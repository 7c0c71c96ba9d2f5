"""The web app's pages, mounted at / (the API lives under /api/v1/)."""

from django.urls import path

from web import (
    account_pages,
    locked_pages,
    partner_pages,
    search_pages,
    share_pages,
    together_pages,
    views,
)

urlpatterns = [
    path("", views.gallery, name="home"),
    path("upload/", views.upload, name="upload"),
    path("i/<uuid:image_id>/", views.image, name="image"),
    path("search/", search_pages.search, name="search"),
    path("albums/", views.albums, name="albums"),
    path("albums/<uuid:album_id>/", views.album, name="album"),
    path("trash/", views.trash, name="trash"),
    path("trash/<uuid:image_id>/thumbnail/", views.trash_thumbnail, name="trash-thumbnail"),
    path("shares/", views.share_list, name="shares"),
    # --- shared albums (issue 20): "Shared with me", a shared album, one of its pictures
    path("together/", together_pages.shared_with_me, name="together-list"),
    path("together/<uuid:album_id>/", together_pages.shared_album, name="together"),
    path(
        "together/<uuid:album_id>/i/<uuid:image_id>/",
        together_pages.shared_picture,
        name="together-image",
    ),
    # --- end shared albums
    path("s/<str:token>", share_pages.share, name="share"),
    path("s/<str:token>/i/<str:image_id>", share_pages.share_image, name="share-image"),
    path("account/", account_pages.account, name="account"),
    path("signup/", account_pages.signup, name="signup"),
    path("login/", account_pages.login_view, name="login"),
    path("logout/", account_pages.logout_view, name="logout"),
    # --- locked folder (issue 20, part 6)
    path("locked/", locked_pages.locked_folder, name="locked-folder"),
    path("locked/<uuid:image_id>/", locked_pages.locked_image, name="locked-picture"),
    # --- end locked folder
    # --- partner sharing (issue 20, item 4)
    path("partners/", partner_pages.partners, name="partners"),
    path(
        "partners/<uuid:grantor_id>/i/<uuid:image_id>/",
        partner_pages.partner_image,
        name="partner-picture",
    ),
    # --- end partner sharing
]
