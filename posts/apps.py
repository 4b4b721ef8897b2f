from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Exclusive posts"

    def ready(self) -> None:
        """A video attached to an exclusive post is refused to the post's wrong audience on every video URL too
        (page, file, poster): the videos app asks the rules registered here (it never imports this app)."""
        from videos.selectors import video_access_rules, video_list_lock_rules

        from .selectors import post_video_access_problem, post_videos_kept

        if post_video_access_problem not in video_access_rules:
            video_access_rules.append(post_video_access_problem)
        if post_videos_kept not in video_list_lock_rules:
            video_list_lock_rules.append(post_videos_kept)
